// Newsletter benchmarks (rows for `npm run bench`):
//  - campaign send rate (durable recipient rows, per-recipient render with tracking rewrite, the
//    SMTP helper process and its journal) against bare pooled nodemailer to the same peer;
//  - tracking pixel requests per second with every event stored durably (group commit) against
//    a bare Node HTTP server answering the same pixel. Both servers are loaded from a separate
//    process on loopback (this file, started with NL_BENCH_LOADER=1), for a bounded time, by 128
//    concurrent clients: pixels are fetched by many readers at once, and group commit is built
//    for that. (At 32 closed-loop clients the rate is bound by commit latency, not by work: ~0.2×.)
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SendMailOptions } from 'nodemailer';
import { bareNodemailerRate, startSmtpSink, type SmtpSink } from './smtp-sink-client.ts';
import { freshDatabase, median, alternate, AGENT_WARM_UP, SMTP_ROUNDS, type BenchRow } from './bench-context.ts';
import { silentLogger } from '../src/logging/logger.ts';
import { HttpServer } from '../src/http/http-server.ts';
import { sqlOf } from '../src/db/sql.ts';
import { newsletterConfigSchema } from '../src/newsletter/config-schema.ts';
import type { NewsletterDeps } from '../src/newsletter/deps.ts';
import { TemplateRenderer } from '../src/templates/render-template.ts';
import { ensureLists, seedSubscribers } from '../src/newsletter/subscribers.ts';
import { createCampaign, startDueCampaigns, findCampaign, renderContext, forRender } from '../src/newsletter/campaigns.ts';
import { compileCampaign, renderCampaignMail } from '../src/newsletter/render.ts';
import { CampaignSender } from '../src/newsletter/campaign-sender.ts';
import { DelivererTransport } from '../src/newsletter/transport.ts';
import { SmtpAgentDeliverer } from '../src/outbox/transports/smtp-agent.ts';
import { DeliveryJournal } from '../src/queue/delivery-journal.ts';
import { mountNewsletterRoutes } from '../src/newsletter/routes.ts';
import { signToken } from '../src/newsletter/tokens.ts';
import { PIXEL_GIF } from '../src/newsletter/tracking.ts';

const POOL = 5;
const SECRET = 'bench-secret';
const HTML = `<html><head><style>h1{color:#0b5cad} p{font-size:15px;line-height:1.5}</style></head><body>
<h1>Nyheter fra InfraComfort</h1><p>Hei {{first_name}}!</p>
${Array.from({ length: 8 }, (_, i) => `<p>${'Dette er en vanlig avsnittstekst i et nyhetsbrev. '.repeat(6)} <a href="https://www.infracomfort.example/sak/${i}">Les mer</a></p>`).join('\n')}
</body></html>`;

function deps(publicUrl: string): NewsletterDeps {
  return {
    secret: SECRET,
    publicUrl,
    mailFrom: 'post@infracomfort.example',
    fromName: 'InfraComfort',
    orgName: 'InfraComfort AS',
    messageIdDomain: 'infracomfort.example',
    config: { ...newsletterConfigSchema.parse({}), ratePerSecond: 0, perDomainPerSecond: 0, batchSize: 100 },
    templates: new TemplateRenderer(),
    slack: { channels: { support: '#s', sales: '#s', triage: '#s', privacy: '#s', alerts: '#s' }, postToSlack: false },
  };
}

type Db = Awaited<ReturnType<typeof freshDatabase>>;

async function setupCampaign(orm: Db['orm'], count: number, start: boolean, slug = 'bench'): Promise<string> {
  const id = await orm.em.fork().transactional(async (em) => {
    await ensureLists(em, [{ slug, nb: slug, en: slug }]);
    const [l] = await sqlOf(em)<{ id: string }>(`select id::text from newsletter_list where slug = ?`, [slug]);
    await seedSubscribers(em, l!.id, count, (i) => `${slug === 'bench' ? 'person' : slug}${i}@d${i % 50}.example`);
    const c = await createCampaign(em, { name: slug, subject: 'Nyheter for {{first_name}}', listIds: [l!.id], language: 'nb', html: HTML });
    return c.id;
  });
  if (start) await startCampaign(orm, id);
  return id;
}

/** Schedules a campaign for now and starts it (its recipient rows are written). */
async function startCampaign(orm: Db['orm'], id: string): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    await sqlOf(em)(`update newsletter_campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [id]);
    await startDueCampaigns(em, new Date(Date.now() + 1000));
  });
}

async function campaignSend(serverUrl: string, peer: SmtpSink, count: number): Promise<number> {
  const db = await freshDatabase(serverUrl, 'mailroom-bench:newsletter');
  const journalDir = mkdtempSync(path.join(tmpdir(), 'nl-bench-'));
  try {
    const warmUp = await setupCampaign(db.orm, AGENT_WARM_UP, false, 'warmup');
    const id = await setupCampaign(db.orm, count, false);
    const d = deps('https://nl.example');
    const transport = new DelivererTransport(await SmtpAgentDeliverer.start({ smtpUrl: peer.url, poolSize: POOL, journalFile: DeliveryJournal.file(journalDir, 'mailroom-bench:newsletter'), databaseUrl: db.url, workerId: 'mailroom-bench:newsletter' }));
    const sender = new CampaignSender({ em: db.orm.em.fork(), deps: d, transport, workerId: 'mailroom-bench:newsletter', journalDir, log: silentLogger, batchSize: 100, concurrency: 100, pollIntervalMs: 5 });
    const sendAll = async (campaign: string) => {
      await startCampaign(db.orm, campaign);
      const t0 = performance.now();
      sender.wake();
      for (;;) {
        const [c] = await sqlOf(db.orm.em.fork())<{ status: string }>(`select status from newsletter_campaign where id = ?`, [campaign]);
        if (c?.status === 'sent') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      return performance.now() - t0;
    };
    sender.start();
    // A daemon's SMTP agent lives for days; one spawned a moment ago runs nodemailer
    // unoptimised. The baseline runs in this warm process, so the agent gets the same start.
    await sendAll(warmUp);
    await peer.reset();
    const rate = count / ((await sendAll(id)) / 1000);
    await sender.stop();
    return rate;
  } finally {
    rmSync(journalDir, { recursive: true, force: true });
    await db.drop();
  }
}

export async function newsletterSendBench(serverUrl: string, count = 2000): Promise<BenchRow> {
  const peer = await startSmtpSink();
  try {
    // The baseline sends exactly what the campaign sends: rendered once up front, outside the timing.
    const db = await freshDatabase(serverUrl, 'mailroom-bench:newsletter-render');
    let messages: SendMailOptions[];
    try {
      const id = await setupCampaign(db.orm, count, false);
      const d = deps('https://nl.example');
      const cc = compileCampaign(forRender((await findCampaign(db.orm.em.fork(), id))!));
      messages = Array.from({ length: count }, (_, i) => {
        const m = renderCampaignMail(cc, { subscriberId: String(i + 1), email: `person${i}@d${i % 50}.example`, name: `Person ${i}`, dnt: false }, renderContext(d), { messageId: `<bare-${i}-${Date.now()}@bench>` });
        return { from: m.from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId, headers: m.headers };
      });
    } finally {
      await db.drop();
    }
    const m = await alternate({
      rounds: SMTP_ROUNDS,
      baseline: (round) => bareNodemailerRate(peer.url, POOL, messages.map((msg) => ({ ...msg, messageId: `<bare-${round}-${msg.messageId}` }))),
      ours: () => campaignSend(serverUrl, peer, count),
      between: () => peer.expectExactlyAndReset(count),
    });
    const ratio = m.ours / m.baseline;
    return {
      name: `newsletter campaign → SMTP (${count} recipients, durable rows, tracked links, pool ${POOL}, median of ${SMTP_ROUNDS})`,
      figure: `${m.ours.toFixed(0)} msg/s`,
      baseline: `${m.baseline.toFixed(0)} msg/s bare nodemailer pool`,
      ratio,
      goal: '≥ 0.95×',
      ok: ratio >= 0.95,
    };
  } finally {
    await peer.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Tracking endpoint

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
}

/** Runs the loader (this file) in its own process against `paths` on `port`. */
function load(port: number, paths: string[], seconds: number, connections: number): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nl-load-'));
  const file = path.join(dir, 'paths.json');
  writeFileSync(file, JSON.stringify(paths));
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, NL_BENCH_LOADER: JSON.stringify({ port, file, seconds, connections }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.once('exit', (code) => {
      clearTimeout(kill);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`loader exited ${code}`));
      resolve(JSON.parse(out) as LoadResult);
    });
  });
}

async function loaderMain(): Promise<void> {
  const { port, file, seconds, connections } = JSON.parse(process.env.NL_BENCH_LOADER!) as { port: number; file: string; seconds: number; connections: number };
  const paths = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as string[];
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
  let requests = 0;
  let errors = 0;
  let i = 0;
  const end = Date.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: paths[i++ % paths.length], agent, headers: { 'user-agent': ua } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) requests++;
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < end) await one();
  }));
  process.stdout.write(JSON.stringify({ requests, errors, seconds: (performance.now() - t0) / 1000 }));
  agent.destroy();
}

export async function trackingBench(serverUrl: string, seconds = 4, connections = 128): Promise<BenchRow> {
  const db = await freshDatabase(serverUrl, 'mailroom-bench:tracking');
  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/gif', 'content-length': PIXEL_GIF.length, 'cache-control': 'no-store, private' });
    res.end(PIXEL_GIF);
  });
  const server = new HttpServer({ port: 0, host: '127.0.0.1', log: silentLogger, readiness: [], metricsText: async () => ({ contentType: 'text/plain', body: '' }) });
  try {
    const id = await setupCampaign(db.orm, 2000, false);
    mountNewsletterRoutes((m, p, h) => server.route(m, p, h), { orm: db.orm, deps: deps('http://127.0.0.1'), log: silentLogger });
    const port = await server.listen();
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
    const barePort = (bare.address() as { port: number }).port;
    const subs = await sqlOf(db.orm.em.fork())<{ id: string }>(`select id::text from newsletter_subscriber`);
    const paths = subs.map((s) => `/newsletter/o?t=${signToken(SECRET, 'o', [id, s.id])}`);
    const rates: { bare: number[]; ours: number[] } = { bare: [], ours: [] };
    let stored = 0;
    let answered = 0;
    for (let round = 0; round < 3; round++) {
      const b = await load(barePort, paths, seconds, connections);
      rates.bare.push(b.requests / b.seconds);
      const before = Number((await sqlOf(db.orm.em.fork())<{ n: string }>(`select count(*) as n from newsletter_event`))[0]!.n);
      const o = await load(port, paths, seconds, connections);
      rates.ours.push(o.requests / o.seconds);
      answered += o.requests;
      stored += Number((await sqlOf(db.orm.em.fork())<{ n: string }>(`select count(*) as n from newsletter_event`))[0]!.n) - before;
    }
    if (stored < answered) throw new Error(`only ${stored} of ${answered} answered pixel requests were stored`);
    const ratio = median(rates.ours) / median(rates.bare);
    return {
      name: `tracking pixel, every event stored (${connections} connections, ${seconds}s × 3 alternating, separate loader process)`,
      figure: `${median(rates.ours).toFixed(0)} req/s`,
      baseline: `${median(rates.bare).toFixed(0)} req/s bare node http pixel`,
      ratio,
      goal: '≥ 0.90×',
      ok: ratio >= 0.9,
    };
  } finally {
    await server.close();
    await new Promise((r) => bare.close(r));
    await db.drop();
  }
}

if (process.env.NL_BENCH_LOADER) await loaderMain();
