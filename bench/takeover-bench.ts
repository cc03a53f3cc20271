/**
 * Takeover (issue 20.1): two daemon processes, two mailboxes (two Dovecot accounts). Ten times,
 * kill -9 the daemon that leads mailboxes and time until the survivor reports
 * mailroom_mailbox_up{mailbox} 1 for every mailbox on its /metrics (it holds each lock,
 * has logged in and selected the folder); then start the killed one again as the standby.
 *
 * The baseline is the design's own bound: a waiting instance tries each lock once per poll
 * (1 s), and the dead instance's locks go when PostgreSQL sees its connections close.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDovecot } from '../test/support/dovecot.ts';
import { cleanupDaemonEnv, daemonEnv, startDaemonProcess, type DaemonProcess } from '../test/support/daemon-process.ts';
import { freshDatabase, median, type BenchRow } from './bench-context.ts';

const ROUNDS = 10;
const LOCK_POLL_MS = 1000;
const NAMES = ['kundeservice', 'salg'];

async function led(d: DaemonProcess): Promise<string[]> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${d.httpPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    return NAMES.filter((n) => new RegExp(`^mailroom_mailbox_up\\{mailbox="${n}"\\} 1$`, 'm').test(text));
  } catch {
    return [];
  }
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number, stepMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export async function takeoverBench(serverUrl: string): Promise<BenchRow> {
  execFileSync(process.execPath, ['bin/build.js', '--if-stale'], { stdio: 'ignore' });
  const users = [
    { user: 'kundeservice@infracomfort.example', password: 'bench-kunde' },
    { user: 'salg@infracomfort.example', password: 'bench-salg' },
  ];
  const [db, dovecot] = await Promise.all([freshDatabase(serverUrl, 'bench-takeover'), startDovecot({ users })]);
  const dir = mkdtempSync(path.join(tmpdir(), 'mailroom-takeover-'));
  const configFile = path.join(dir, 'mailroom.yaml');
  writeFileSync(
    configFile,
    'mailboxes:\n' +
      users
        .map((u, i) => `  - { name: ${NAMES[i]}, host: 127.0.0.1, port: ${dovecot.port}, secure: false, user: ${u.user}, passwordEnv: BENCH_IMAP_PASSWORD_${i} }\n`)
        .join(''),
  );
  const env = () =>
    daemonEnv({ DATABASE_URL: db.url, MAILROOM_CONFIG: configFile, BENCH_IMAP_PASSWORD_0: users[0]!.password, BENCH_IMAP_PASSWORD_1: users[1]!.password, LOG_LEVEL: 'error' });
  const envs = [env(), env()];
  const daemons: DaemonProcess[] = [];
  const times: number[] = [];
  try {
    daemons.push(await startDaemonProcess(envs[0]!));
    await until('first daemon leads both', async () => (await led(daemons[0]!)).length === NAMES.length, 30_000, 100);
    daemons.push(await startDaemonProcess(envs[1]!));
    for (let round = 0; round < ROUNDS; round++) {
      const counts = await Promise.all(daemons.map(led));
      const victim = counts[0]!.length >= counts[1]!.length ? 0 : 1;
      const survivor = 1 - victim;
      const t0 = performance.now();
      await daemons[victim]!.kill();
      await until('survivor leads every mailbox', async () => (await led(daemons[survivor]!)).length === NAMES.length, 30_000);
      times.push(performance.now() - t0);
      daemons[victim] = await startDaemonProcess(envs[victim]!);
    }
  } finally {
    for (const d of daemons) await d.stop().catch(() => undefined);
    await dovecot.stop().catch(() => undefined);
    await db.drop().catch(() => undefined);
    for (const e of envs) cleanupDaemonEnv(e);
    rmSync(dir, { recursive: true, force: true });
  }
  const med = median(times);
  const worst = Math.max(...times);
  return {
    name: `takeover: kill -9 of the leader → survivor leads ${NAMES.length} mailboxes (${ROUNDS} rounds)`,
    figure: `median ${(med / 1000).toFixed(2)} s, worst ${(worst / 1000).toFixed(2)} s`,
    baseline: `lock poll ${(LOCK_POLL_MS / 1000).toFixed(1)} s`,
    ratio: med / LOCK_POLL_MS,
    goal: 'worst ≤ 3 s (one poll + IMAP login)',
    ok: worst <= 3000,
  };
}
