/**
 * How long `mailroom` takes to answer, on the embedded database (no DATABASE_URL), against a
 * bare `node -e ''` in the same run: `--help` (nothing but the command index is loaded) and
 * `tickets list` with the embedded server up (as while the daemon runs) and with it stopped
 * (the command starts and stops it). Medians of several runs of the real bin/mailroom.js.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { silentLogger } from '../src/logging/logger.ts';
import { getFreePort } from '../test/support/free-port.ts';
import type { BenchRow } from './bench-context.ts';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim().split('\n')[0]}`);
  return ms;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function cliBench(): Promise<BenchRow[]> {
  const build = spawnSync(process.execPath, ['bin/build.js', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-bench-cli-'));
  chmodSync(dataDir, 0o755); // as root the server runs as "postgres"
  const port = await getFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: '',
    MAILROOM_DATA_DIR: dataDir,
    MAILROOM_EMBEDDED_PG_PORT: String(port),
    MAILROOM_CONFIG: '',
    SMTP_URL: '',
    IMAP_HOST: '',
    SLACK_BOT_TOKEN: '',
    LOG_LEVEL: 'warn',
  };
  const bin = path.resolve('bin/mailroom.js');
  try {
    // Tickets to list; the first run also initialises the embedded server.
    timed([bin, 'import', path.resolve('test/fixtures/mail')], env);
    const node = median(Array.from({ length: RUNS }, () => timed(['-e', ''], env)));
    const help = median(Array.from({ length: RUNS }, () => timed([bin, '--help'], env)));
    const cold = median(Array.from({ length: Math.min(RUNS, 5) }, () => timed([bin, 'tickets', 'list'], env)));
    // The server up as while the daemon runs: this process holds it, so the CLI leaves it running.
    const server = await startEmbeddedPostgres({ dataDir, port, log: silentLogger });
    let warm: number;
    try {
      warm = median(Array.from({ length: RUNS }, () => timed([bin, 'tickets', 'list'], env)));
    } finally {
      await server.stop();
    }
    const baseline = `node -e '' ${seconds(node)}`;
    return [
      { name: 'cli --help', figure: seconds(help), baseline, ratio: help / node, goal: '< 0.5 s', ok: help < 500 },
      { name: 'cli tickets list (db up)', figure: seconds(warm), baseline, ratio: warm / node, goal: '< 1 s', ok: warm < 1000 },
      { name: 'cli tickets list (db stopped)', figure: seconds(cold), baseline, ratio: cold / node, goal: 'starts and stops PostgreSQL', ok: true },
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
