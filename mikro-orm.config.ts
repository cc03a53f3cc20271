// For the MikroORM CLI (e.g. `npx mikro-orm migration:create`); the daemon builds its own
// configuration in src/db/orm.ts from the validated environment.
import { ormConfig } from './src/db/orm.ts';

export default ormConfig({
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  applicationName: 'mailroom:cli',
});
