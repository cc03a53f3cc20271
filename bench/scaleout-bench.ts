/**
 * Scale-out: the same backlog filed and acknowledged by one `mailroom start` and by two on one
 * database, real daemon processes (bin/mailroom.js, compiled) with their SMTP agents, into the
 * SMTP sink. The backlog is committed in one transaction once the daemons are up (as `mailroom
 * import` or a mailbox leader would store it), and the clock runs until every message is filed
 * and every acknowledgement sent. Reading IMAP is one leader per mailbox and is measured by the
 * backlog row; this row is about what every instance shares: the filing lanes and the outbox.
 *
 * Everything runs on one machine: PostgreSQL, both daemons, their agents and the sink share
 * its cores, so two daemons can gain at most what the cores left over by one allow. The figure
 * is printed with each instance's share, not as a promise of linear scaling.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { startSmtpSink, type SmtpSink } from './smtp-sink-client.ts';
import { freshDatabase, median, type BenchRow } from './bench-context.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../test/support/daemon-process.ts';
import { backlogMail, FILED_BY, SENT_BY, sharesByPid } from '../test/support/scale-out.ts';
import { storeRaw } from '../src/ingest/inbound-store.ts';
import { sqlOf } from '../src/db/sql.ts';
import type { Orm } from '../src/db/orm.ts';

/** CPU seconds (user + system) a live process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

const count = async (orm: Orm, text: string) => Number((await sqlOf(orm.em.fork())<{ n: string }>(text))[0]!.n);

interface Run {
  rate: number;
  /** CPU seconds the daemon processes used during the run, per wall-clock second (1.0 = one core busy). */
  daemonCores: number;
  /** The same for this database's PostgreSQL backends (approximate: the backends alive at the end, since they started). */
  databaseCores: number;
  /** Per daemon, in start order: [filed, acknowledgements sent]. */
  shares: [number, number][];
}

async function run(serverUrl: string, sink: SmtpSink, daemons: number, backlog: number, round: number): Promise<Run> {
  const db = await freshDatabase(serverUrl, `mailroom-bench:scaleout-${daemons}`);
  const envs = Array.from({ length: daemons }, () => daemonEnv({ DATABASE_URL: db.url, SMTP_URL: sink.url, LOG_LEVEL: 'error' }));
  const procs: DaemonProcess[] = [];
  try {
    procs.push(...(await Promise.all(envs.map((e) => startDaemonProcess(e)))));
    const tag = `skala${daemons}r${round}`;
    await db.orm.em.fork().transactional(async (em) => {
      for (let i = 0; i < backlog; i++) await storeRaw(em, { source: 'import', raw: Buffer.from(backlogMail(tag, i)) });
    });
    const cpu0 = procs.map((p) => cpuSeconds(p.child.pid!));
    const t0 = performance.now();
    const waits = new Map<string, number>();
    for (;;) {
      for (const w of await sqlOf(db.orm.em.fork())<{ w: string; n: string }>(
        `select coalesce(wait_event_type || ':' || wait_event, 'cpu') as w, count(*) as n from pg_stat_activity
          where datname = current_database() and state = 'active' and pid <> pg_backend_pid() group by 1`,
      )) waits.set(w.w, (waits.get(w.w) ?? 0) + Number(w.n));
      const left = await count(db.orm, `select (select count(*) from inbound_message where state not in ('filed', 'quarantined', 'duplicate'))
                                            + (select count(*) from outbox_message where status <> 'sent') as n`);
      if (left === 0 && (await count(db.orm, `select count(*) as n from outbox_message`)) >= backlog) break;
      if (performance.now() - t0 > 600_000) throw new Error(`${daemons} daemon(s): backlog not done in 10 minutes`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const wall = (performance.now() - t0) / 1000;
    const rate = backlog / wall;
    const daemonCores = procs.reduce((sum, p, i) => sum + cpuSeconds(p.child.pid!) - cpu0[i]!, 0) / wall;
    const backends = await sqlOf(db.orm.em.fork())<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
    const databaseCores = backends.reduce((sum, b) => sum + (cpuSeconds(b.pid) || 0), 0) / wall;
    await sink.expectExactlyAndReset(backlog);
    const [stats] = await sqlOf(db.orm.em.fork())<{ deadlocks: string; rollbacks: string }>(
      `select deadlocks, xact_rollback as rollbacks from pg_stat_database where datname = current_database()`,
    );
    process.stderr.write(
      `  ${daemons} daemon(s): ${rate.toFixed(0)} msg/s, daemons busy ${daemonCores.toFixed(2)} cores, their PostgreSQL backends ${databaseCores.toFixed(2)}, load ${loadavg()[0]!.toFixed(1)}, ${stats!.deadlocks} deadlocks; active backends sampled: ${[...waits].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([w, n]) => `${w} ${n}`).join(', ')}\n`,
    );
    const filed = await sharesByPid(db.orm, FILED_BY);
    const sent = await sharesByPid(db.orm, SENT_BY);
    return { rate, daemonCores, databaseCores, shares: procs.map((p) => [filed.get(p.child.pid!) ?? 0, sent.get(p.child.pid!) ?? 0]) };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await db.drop();
    for (const e of envs) cleanupDaemonEnv(e);
  }
}

export async function scaleOutBench(serverUrl: string, backlog = 3000): Promise<BenchRow> {
  const build = spawnSync(process.execPath, ['bin/build.js', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const rounds = Number(process.env.BENCH_SCALEOUT_ROUNDS ?? 2);
  const sink = await startSmtpSink();
  const one: Run[] = [];
  const two: Run[] = [];
  try {
    // Alternated, so a burst of load on the shared machine hits both sides.
    for (let r = 0; r < rounds; r++) {
      one.push(await run(serverUrl, sink, 1, backlog, r));
      two.push(await run(serverUrl, sink, 2, backlog, r));
    }
  } finally {
    await sink.stop();
  }
  const baseline = median(one.map((r) => r.rate));
  const ours = median(two.map((r) => r.rate));
  const last = two.at(-1)!.shares;
  const pct = (n: number) => `${Math.round((100 * n) / backlog)} %`;
  const cores = cpus().length;
  const ratio = ours / baseline;
  return {
    name: `scale-out: ${backlog}-mail backlog filed + acknowledged by 2 daemons (${cores} cores)`,
    figure: `${ours.toFixed(0)} msg/s; shares filed ${last.map(([f]) => pct(f)).join(' / ')}, sent ${last.map(([, s]) => pct(s)).join(' / ')}; busy: daemons ${median(two.map((r) => r.daemonCores)).toFixed(2)}, PostgreSQL ${median(two.map((r) => r.databaseCores)).toFixed(2)} cores`,
    baseline: `${baseline.toFixed(0)} msg/s one daemon (busy: daemon ${median(one.map((r) => r.daemonCores)).toFixed(2)}, PostgreSQL ${median(one.map((r) => r.databaseCores)).toFixed(2)} cores; load ${loadavg()[0]!.toFixed(1)})`,
    ratio,
    // The ratio is bounded by the cores one daemon leaves idle (PostgreSQL, the agents, the sink
    // and whatever else runs on the machine share them); "busy" says where the time went. What
    // must hold anywhere is that both instances take a real share of the filing and the sending.
    goal: `each ≥ 20 % of filing and sending; ratio ≤ spare cores (${cores} here)`,
    ok: last.every(([f, s]) => f >= backlog * 0.2 && s >= backlog * 0.2),
  };
}
