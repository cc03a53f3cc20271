// For the MikroORM CLI (e.g. `npx mikro-orm migration:create`); the daemon builds its own
// configuration in src/db/orm.ts from the validated environment.
import { Migrator } from '@mikro-orm/migrations';
import { ormConfig } from './src/db/orm.ts';
import { migrationsList } from './src/db/migrations/index.ts';

const config = ormConfig({
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  applicationName: 'mailroom:cli',
});
// The daemon loads the migrator only when the schema is behind (src/db/orm.ts); this CLI always needs it.
export default { ...config, extensions: [Migrator], migrations: { ...config.migrations, migrationsList } };
