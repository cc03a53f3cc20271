// Ingests the one (large) message waiting in a mailbox and reports how much resident memory
// grew while doing so. Runs in a process of its own so nothing else shares its heap.
// argv: <databaseUrl> <imapPort> <user> <password>
import { openOrm } from '../src/db/orm.ts';
import { ImapWatcher } from '../src/ingest/imap-watcher.ts';
import { IngestProcessor } from '../src/ingest/ingest-processor.ts';
import { RawCache } from '../src/ingest/raw-cache.ts';
import { createFiler } from '../src/handlers/file-message.ts';
import { silentLogger } from '../src/logging/logger.ts';
import { sqlOf } from '../src/db/sql.ts';
import { garbageReleaseStats } from '../src/ingest/garbage-release.ts';
import { testFilingDeps } from '../test/support/filing-harness.ts';

const [url, port, user, pass] = process.argv.slice(2) as [string, string, string, string];
const orm = await openOrm({ url, applicationName: 'mailroom-bench:large' });
const cache = new RawCache();
const processor = new IngestProcessor({ orm, log: silentLogger, file: createFiler(testFilingDeps()), rawCache: cache, maxAttempts: 3, ownDomains: [], messageIdDomain: 'infracomfort.example', pollIntervalMs: 20 });
const watcher = new ImapWatcher({
  orm,
  connection: { host: '127.0.0.1', port: Number(port), secure: false, user, auth: { pass } },
  mailbox: 'INBOX',
  log: silentLogger,
  options: { idleDelayMs: 50, socketTimeoutMs: 60_000, watchdogIntervalMs: 30_000, alertAfterMs: 60_000, afterFiling: 'keep', keyword: '$Mailroom', moveTo: 'Archive' },
  onStored: () => processor.wake(),
  rawCache: cache,
  lockUrl: url,
});
// Warm up the code paths that are loaded lazily, then take the baseline.
await sqlOf(orm.em.fork())('select 1');
global.gc?.();
await new Promise((r) => setTimeout(r, 200));
const base = process.memoryUsage().rss;
let peak = base;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const t0 = performance.now();
processor.start();
watcher.start();
for (;;) {
  const [row] = await sqlOf(orm.em.fork())<{ state: string; size: string }>('select state, size from inbound_message order by id desc limit 1');
  if (row && (row.state === 'filed' || row.state === 'quarantined')) {
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const atts = await sqlOf(orm.em.fork())<{ size: string }>('select size from attachment order by size desc limit 1');
    process.stdout.write(JSON.stringify({ state: row.state, size: Number(row.size), attachment: Number(atts[0]?.size ?? 0), growthBytes: peak - base, seconds: (performance.now() - t0) / 1000, gc: garbageReleaseStats() }) + '\n');
    break;
  }
  await new Promise((r) => setTimeout(r, 50));
}
await watcher.stop();
await processor.stop();
await orm.close(true);
process.exit(0);
