// For the MikroORM CLI, should one be installed (@mikro-orm/cli is not a dependency). Migrations
// are written with `npm run migration:create` and checked with `npm run migration:check`
// (src/db/README.md); the daemon builds its own configuration in src/db/orm.ts.
import { Migrator } from '@mikro-orm/migrations';
import { ormConfig } from './src/db/orm.ts';
import { migrationsList } from './src/db/migrations/index.ts';

const config = ormConfig({
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  applicationName: 'mailroom:cli',
});
// The daemon loads the migrator only when the schema is behind (src/db/orm.ts); this CLI always needs it.
export default { ...config, extensions: [Migrator], migrations: { ...config.migrations, migrationsList } };
