// `npm run bench`: one table of figures, each a ratio against a baseline measured in the
// same run (these machines are shared and noisy; absolute numbers mean little).
// Select rows with BENCH=outbox,latency,backlog,large,privacy,newsletter,tracking,cli,classify,takeover,scaleout (default: all);
// BENCH_OUTBOX, BENCH_BACKLOG, BENCH_LATENCY_BACKLOG and BENCH_SCALEOUT set those rows' message counts (2000, 5000, 5000, 3000).
import { benchServer, type BenchRow } from './bench-context.ts';
import { outboxBench } from './outbox-bench.ts';
import { ingestLatencyBench, ingestBacklogBench, largeMessageBench } from './ingest-bench.ts';
import { privacyBench } from './privacy-bench.ts';
import { newsletterSendBench, trackingBench } from './newsletter-bench.ts';
import { cliBench } from './cli-bench.ts';
import { classifyBench } from './classify-bench.ts';
import { takeoverBench } from './takeover-bench.ts';
import { scaleOutBench } from './scaleout-bench.ts';

type Bench = (serverUrl: string) => Promise<BenchRow | BenchRow[]>;

const benches: Record<string, Bench> = {
  outbox: (url) => outboxBench(url, Number(process.env.BENCH_OUTBOX ?? 2000)),
  latency: (url) => ingestLatencyBench(url, Number(process.env.BENCH_LATENCY_BACKLOG ?? 5000)),
  backlog: (url) => ingestBacklogBench(url, Number(process.env.BENCH_BACKLOG ?? 5000)),
  large: (url) => largeMessageBench(url),
  privacy: (url) => privacyBench(url),
  newsletter: (url) => newsletterSendBench(url),
  tracking: (url) => trackingBench(url),
  // On an embedded database of its own, whatever the server: the CLI's default set-up.
  cli: () => cliBench(),
  classify: () => classifyBench(),
  takeover: (url) => takeoverBench(url),
  // Real daemon processes (compiled dist/), one and then two on the same backlog.
  scaleout: (url) => scaleOutBench(url, Number(process.env.BENCH_SCALEOUT ?? 3000)),
};

const wanted = (process.env.BENCH ?? Object.keys(benches).join(',')).split(',').map((s) => s.trim());
const server = await benchServer();
const rows: BenchRow[] = [];
try {
  for (const name of wanted) {
    const bench = benches[name];
    if (!bench) {
      process.stderr.write(`unknown benchmark "${name}" (known: ${Object.keys(benches).join(', ')})\n`);
      process.exitCode = 2;
      continue;
    }
    process.stderr.write(`running ${name}…\n`);
    try {
      const r = await bench(server.url);
      rows.push(...(Array.isArray(r) ? r : [r]));
    } catch (e) {
      rows.push({ name, figure: `error: ${(e as Error).message}`, baseline: '', ratio: NaN, goal: '', ok: false });
    }
  }
} finally {
  await server.stop();
}

const header = ['benchmark', 'figure', 'baseline (same run)', 'ratio', 'goal', 'ok'];
const table = rows.map((r) => [r.name, r.figure, r.baseline, Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : '-', r.goal, r.ok ? 'yes' : 'NO']);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
process.stdout.write('\n' + line(header) + '\n' + widths.map((w) => '-'.repeat(w)).join('-|-') + '\n');
for (const row of table) process.stdout.write(line(row) + '\n');
process.exit(process.exitCode ?? 0);
