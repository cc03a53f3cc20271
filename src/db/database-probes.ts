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
