/** Questions about the database itself rather than Mailroom's tables. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from './sql.ts';

/** Resolves when the database answers a trivial statement; throws when it does not (readiness). */
export async function pingDatabase(em: EntityManager): Promise<void> {
  await em.getConnection().execute('select 1');
}

/**
 * How many daemons are connected to this database now. A daemon names its connections
 * mailroom:<host>:<pid>:… (src/app/instance-id.ts); the CLI's are mailroom-cli:…. Work shared
 * between instances (a campaign's send rate) is divided by it.
 */
export async function liveDaemonCount(em: EntityManager): Promise<number> {
  const [d] = await sqlOf(em)<{ n: string }>(
    `select count(distinct application_name) as n from pg_stat_activity where datname = current_database() and application_name like 'mailroom:%'`,
  );
  return Number(d?.n ?? 0);
}

/** Whether a daemon holds a connection to this database (the CLI tells whether mail it queues will go now). */
export async function daemonConnected(em: EntityManager): Promise<boolean> {
  return (await liveDaemonCount(em)) > 0;
}

/** The doctor's questions go over a plain pg client (no ORM, no pool): anything with `query`. */
interface PgQueryable {
  query<R extends Record<string, unknown>>(text: string): Promise<{ rows: R[] }>;
}

/** The database's clock, server version and name, in one statement. */
export async function serverFacts(client: PgQueryable): Promise<{ now: Date; version: string; db: string }> {
  const { rows } = await client.query<{ now: Date; version: string; db: string }>(`select now() as now, current_setting('server_version') as version, current_database() as db`);
  return rows[0]!;
}

/**
 * The names of the migrations applied to the database, in order; null when it has no
 * migrations table (never migrated). Reads only: the table is not created when missing.
 */
export async function appliedMigrationNames(client: PgQueryable): Promise<string[] | null> {
  const table = await client.query<{ t: string | null }>(`select to_regclass('mikro_orm_migrations')::text as t`);
  if (!table.rows[0]?.t) return null;
  return (await client.query<{ name: string }>('select name from mikro_orm_migrations order by id')).rows.map((r) => r.name);
}
