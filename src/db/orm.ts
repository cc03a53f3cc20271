import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { allEntities } from '../entities/index.ts';
import { migrationsList } from './migrations/index.ts';

export type Orm = MikroORM;

export interface OrmOptions {
  url: string;
  /** Shown in pg_stat_activity; dispatchers use it to tell live claimers from dead ones. */
  applicationName: string;
  poolMax?: number;
  debug?: boolean;
}

export function ormConfig(opts: OrmOptions): Options {
  return {
    clientUrl: opts.url,
    entities: allEntities,
    extensions: [Migrator],
    debug: opts.debug ?? false,
    allowGlobalContext: false,
    pool: { min: 0, max: opts.poolMax ?? 10, idleTimeoutMillis: 10_000 },
    driverOptions: { connection: { application_name: opts.applicationName } },
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
    discovery: { warnWhenNoEntities: false },
  };
}

export async function openOrm(opts: OrmOptions): Promise<Orm> {
  return MikroORM.init(ormConfig(opts));
}

/** Any fixed 64-bit number will do; it only has to differ from the other locks we take. */
export const MIGRATION_LOCK_KEY = 7_291_001n;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so two instances starting
 * together take turns instead of racing to create the same tables.
 */
export async function migrate(orm: Orm): Promise<string[]> {
  const conn = orm.em.getConnection();
  const knex = conn.getKnex();
  // A dedicated connection holds the session lock for the whole run.
  const client = await knex.client.acquireConnection();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      const done = await orm.getMigrator().up();
      return done.map((m) => m.name);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await knex.client.releaseConnection(client);
  }
}

/**
 * Applied migrations this version does not have: a newer Mailroom has upgraded the schema
 * (a rolling upgrade, or this host left behind). Mailroom's migrations are additive, so an older
 * version keeps running on the newer schema; this names them so the operator knows.
 */
export async function newerMigrations(orm: Orm): Promise<string[]> {
  const known = new Set(migrationsList.map((m) => m.name));
  const executed = await orm.getMigrator().getExecutedMigrations();
  return executed.map((m) => m.name).filter((n) => !known.has(n));
}
