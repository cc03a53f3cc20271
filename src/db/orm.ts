import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { allEntities } from '../entities/index.ts';
import { MIGRATION_NAMES } from './migrations/names.ts';
import { PostgresNamingStrategy } from './naming-strategy.ts';

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
    namingStrategy: PostgresNamingStrategy,
    debug: opts.debug ?? false,
    allowGlobalContext: false,
    pool: { min: 0, max: opts.poolMax ?? 10, idleTimeoutMillis: 10_000 },
    driverOptions: { connection: { application_name: opts.applicationName } },
    migrations: {
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
 * The migrator with this project's migrations, loaded on first use: a command on an up-to-date
 * database never loads @mikro-orm/migrations.
 */
export async function migratorOf(orm: Orm) {
  if (!orm.config.getExtension('@mikro-orm/migrator')) {
    const [{ Migrator }, { migrationsList }] = await Promise.all([import('@mikro-orm/migrations'), import('./migrations/index.ts')]);
    orm.config.set('migrations', { ...orm.config.get('migrations'), migrationsList });
    Migrator.register(orm);
  }
  return orm.getMigrator();
}

/** The migrations recorded as run (none when the migrations table is missing). */
async function executedMigrations(orm: Orm): Promise<Set<string>> {
  try {
    const rows = await orm.em.getConnection().execute<{ name: string }[]>('select name from mikro_orm_migrations');
    return new Set(rows.map((r) => r.name));
  } catch {
    return new Set();
  }
}

/** True when every migration has run (one query). */
async function upToDate(orm: Orm): Promise<boolean> {
  const done = await executedMigrations(orm);
  return MIGRATION_NAMES.every((n) => done.has(n));
}

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so two instances starting
 * together take turns instead of racing to create the same tables.
 */
export async function migrate(orm: Orm): Promise<string[]> {
  if (await upToDate(orm)) return [];
  const migrator = await migratorOf(orm);
  const conn = orm.em.getConnection();
  const knex = conn.getKnex();
  // A dedicated connection holds the session lock for the whole run.
  const client = await knex.client.acquireConnection();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      const done = await migrator.up();
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
  const known = new Set(MIGRATION_NAMES);
  return [...(await executedMigrations(orm))].filter((n) => !known.has(n));
}
