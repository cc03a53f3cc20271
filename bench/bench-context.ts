import path from 'node:path';
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { openOrm, migrate, type Orm } from '../src/db/orm.ts';
import { silentLogger } from '../src/logging/logger.ts';
import { getFreePort } from '../test/support/free-port.ts';

export interface BenchRow {
  name: string;
  /** What was measured, in its unit (e.g. "812 msg/s"). */
  figure: string;
  /** The same-run baseline it is compared against. */
  baseline: string;
  /** figure ÷ baseline (or, for "lower is better" rows, as documented in `goal`). */
  ratio: number;
  goal: string;
  ok: boolean;
}

export interface BenchServer {
  url: string;
  stop(): Promise<void>;
}

/** DATABASE_URL when given, otherwise an embedded server in a throw-away directory. */
export async function benchServer(): Promise<BenchServer> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const dir = path.resolve('.tmp', `bench-pg-${process.pid}`);
  const db = await startEmbeddedPostgres({ dataDir: dir, port: await getFreePort(), log: silentLogger });
  return {
    url: db.url,
    stop: async () => {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function freshDatabase(serverUrl: string, applicationName: string): Promise<{ orm: Orm; url: string; drop(): Promise<void> }> {
  const name = `mailroom_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const orm = await openOrm({ url: u.toString(), applicationName, poolMax: 20 });
  await migrate(orm);
  return {
    orm,
    url: u.toString(),
    async drop() {
      await orm.close(true);
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/**
 * Runs the baseline and ours alternately, `rounds` times each, and returns both medians, so a
 * burst of load on the shared machine hits both sides. `between` runs after each of ours
 * (check what the peer received, reset it).
 */
export async function alternate(o: { rounds?: number; baseline: (round: number) => Promise<number>; ours: () => Promise<number>; between: () => Promise<void> }): Promise<{ baseline: number; ours: number }> {
  const base: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < (o.rounds ?? 3); round++) {
    base.push(await o.baseline(round));
    await o.between();
    ours.push(await o.ours());
    await o.between();
  }
  return { baseline: median(base), ours: median(ours) };
}

/**
 * The SMTP rows (outbox, campaign): messages through the freshly spawned SMTP agent before
 * timing, and rounds per side. The baseline runs in the bench's own process, which has sent
 * several rounds' worth by its median round; at 500 the agent was still being optimised by V8
 * (0.60–0.71× against 0.82–1.13× at 3,000, same hour). At three rounds one noisy round moved
 * the median by a tenth.
 */
export const AGENT_WARM_UP = 3000;
export const SMTP_ROUNDS = 5;
