/** Questions about the database itself rather than Mailroom's tables. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from './sql.ts';

/** Resolves when the database answers a trivial statement; throws when it does not (readiness). */
export async function pingDatabase(em: EntityManager): Promise<void> {
  await em.getConnection().execute('select 1');
}

/**
 * Whether a daemon holds a connection to this database. The daemon names its connections
 * mailroom:<host>:<pid>:… (src/app/instance-id.ts); the CLI's are mailroom-cli:….
 */
export async function daemonConnected(em: EntityManager): Promise<boolean> {
  const [d] = await sqlOf(em)<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = current_database() and application_name like 'mailroom:%'`);
  return Number(d?.n ?? 0) > 0;
}
