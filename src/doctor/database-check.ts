import pg from 'pg';
import { clockSample, fail, ok, warn, type Check, type CheckResult } from './check.ts';
import { describeNetError } from './net-error.ts';
import { appliedMigrationNames, serverFacts } from '../db/database-probes.ts';

export interface MigrationState {
  /** Applied migrations this version knows nothing about: a newer version upgraded the schema. */
  unknown: string[];
  /** Migrations this version has that the database lacks. */
  pending: string[];
}

/** Pure: what this version's migration list and the database's applied list say to each other. */
export function compareMigrations(known: string[], applied: string[]): MigrationState {
  const done = new Set(applied);
  const mine = new Set(known);
  return { pending: known.filter((n) => !done.has(n)), unknown: applied.filter((n) => !mine.has(n)) };
}

export function judgeMigrations(known: string[], applied: string[] | null): CheckResult {
  const name = 'database schema';
  if (applied === null || applied.length === 0) {
    return fail(name, 'not migrated (no Mailroom tables yet): run `mailroom migrate`, or start the daemon, which migrates under a lock');
  }
  const { pending, unknown } = compareMigrations(known, applied);
  if (pending.length) {
    return fail(name, `${pending.length} migration(s) pending: ${pending.join(', ')}; run \`mailroom migrate\` (or start this version, which applies them once under a lock)`);
  }
  if (unknown.length) {
    return warn(
      name,
      `the database has ${unknown.length} migration(s) this version does not know: ${unknown.join(', ')} (a newer Mailroom upgraded it; this version keeps running on the additive change, upgrade this host too)`,
    );
  }
  return ok(name, `up to date (${known.length} migrations applied)`);
}

export interface DatabaseCheckOptions {
  /** Connection URL (for the embedded default: the URL of the started or running server). */
  connect: () => Promise<{ url: string; close(): Promise<void> }>;
  /** How the database is described in the output (never the URL's password). */
  label: string;
  knownMigrations: string[];
  embedded: boolean;
  timeoutMs: number;
}

/**
 * Database reachable, its version, and whether its schema is the one this version expects.
 * Reads only: the migration list is compared, never applied (the migrations table is not even
 * created when missing). `now()` gives the database's clock for the clock check.
 */
export function databaseCheck(o: DatabaseCheckOptions): Check {
  return {
    name: 'database',
    async run() {
      const results: CheckResult[] = [];
      let conn: Awaited<ReturnType<DatabaseCheckOptions['connect']>>;
      try {
        conn = await o.connect();
      } catch (e) {
        return { results: [fail('database', `cannot start the embedded PostgreSQL: ${describeNetError(e)}`)] };
      }
      const client = new pg.Client({ connectionString: conn.url, connectionTimeoutMillis: o.timeoutMs, application_name: 'mailroom-doctor' });
      try {
        try {
          await client.connect();
        } catch (e) {
          const why = /password authentication failed/i.test(String((e as Error).message))
            ? 'password refused'
            : /does not exist/i.test(String((e as Error).message))
              ? String((e as Error).message).split('\n')[0]!
              : describeNetError(e);
          return { results: [fail('database', `cannot connect to ${o.label}: ${why}; check DATABASE_URL`)] };
        }
        const sentAt = Date.now();
        const row = await serverFacts(client);
        const receivedAt = Date.now();
        results.push(
          o.embedded
            ? warn('database', `embedded PostgreSQL ${row.version} (${o.label}): fine for trying Mailroom; in production set DATABASE_URL to a managed or packaged PostgreSQL`)
            : ok('database', `PostgreSQL ${row.version} at ${o.label}`),
        );
        const applied = await appliedMigrationNames(client);
        results.push(judgeMigrations(o.knownMigrations, applied));
        return { results, clock: [clockSample('database now()', row.now.getTime(), sentAt, receivedAt)] };
      } finally {
        await client.end().catch(() => {});
        await conn.close().catch(() => {});
      }
    },
  };
}
