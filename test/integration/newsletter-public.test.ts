import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { until } from '../support/outbox-helpers.ts';
import { fixture, importRaw, inbound, makeProcessor, testFilingDeps } from '../support/filing-harness.ts';
import { seedList, startNewsletterHttp, CAMPAIGN_HTML, NL_SECRET } from '../support/newsletter-helpers.ts';
import { signToken } from '../../src/newsletter/tokens.ts';
import { seedSubscribers, findSubscriber, subscriptionsOf, isSuppressed } from '../../src/newsletter/subscribers.ts';
import { createCampaign, startDueCampaigns, findCampaign, campaignStats, chartUrl } from '../../src/newsletter/campaigns.ts';
import { campaignSummaryMessage } from '../../src/newsletter/summary-message.ts';
import { PNG } from 'pngjs';
import { CampaignSender } from '../../src/newsletter/campaign-sender.ts';
import { DelivererTransport } from '../../src/newsletter/transport.ts';
import { markNewsletterBounces } from '../../src/newsletter/bounces.ts';
import { SmtpDeliverer } from '../../src/outbox/transports/smtp-transport.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let peer: SmtpPeer;
let web: Awaited<ReturnType<typeof startNewsletterHttp>>;
let listId: string;
const sql = () => sqlOf(db.orm.em.fork());

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  web = await startNewsletterHttp(db.orm);
  listId = await seedList(db.orm);
});
afterAll(async () => {
  await web?.close();
  await peer?.stop();
  await db?.drop();
});

async function subscriber(email: string, over: { dnt?: boolean } = {}): Promise<string> {
  await db.orm.em.fork().transactional((em) => seedSubscribers(em, listId, 1, () => email));
  if (over.dnt) await sql()(`update newsletter_subscriber set dnt = true where email = ?`, [email]);
  return (await findSubscriber(db.orm.em.fork(), { email }))!.id;
}

async function sendCampaign(name: string, listIds = [listId]): Promise<string> {
  const c = await db.orm.em.fork().transactional((em) => createCampaign(em, { name, subject: 'Nyheter', listIds, language: 'nb', html: CAMPAIGN_HTML }));
  await db.orm.em.fork().transactional(async (em) => {
    await sqlOf(em)(`update newsletter_campaign set status = 'scheduled', scheduled_at = now() where id = ?`, [c.id]);
    await startDueCampaigns(em, new Date(Date.now() + 1000));
  });
  const sender = new CampaignSender({ em: db.orm.em.fork(), deps: web.deps, transport: new DelivererTransport(new SmtpDeliverer(peer.url, { poolSize: 2 })), workerId: 'mailroom-test:' + db.url.split('/').pop(), log: silentLogger, pollIntervalMs: 50 });
  sender.start();
  await until(async () => (await findCampaign(db.orm.em.fork(), c.id))?.status === 'sent', { tries: 600 });
  await sender.stop();
  return c.id;
}

const rawTo = (addr: string) => peer.messages.filter((m) => m.envelope.to.includes(addr)).map((m) => m.raw.toString('utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=').replace(/\r?\n[ \t]+/g, ' '));

describe('RFC 8058 unsubscribe', () => {
  it('a GET (as a scanner would) changes nothing; one POST unsubscribes', async () => {
    const id = await subscriber('ola@kunde.example');
    const url = `${web.base}/newsletter/unsubscribe?t=${signToken(NL_SECRET, 'u', [id])}`;
    for (let i = 0; i < 3; i++) {
      const get = await fetch(url, { redirect: 'manual' });
      expect(get.status).toBe(200);
      const html = await get.text();
      expect(html).toContain('<form method="post"');
      expect(html).toContain('Meld meg av');
    }
    expect((await subscriptionsOf(db.orm.em.fork(), id))[0]!.status).toBe('confirmed');
    const post = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
    expect(post.status).toBe(200);
    expect((await subscriptionsOf(db.orm.em.fork(), id))[0]!.status).toBe('unsubscribed');
    expect(await isSuppressed(db.orm.em.fork(), NL_SECRET, 'ola@kunde.example')).toBe('unsubscribe');
    expect(post.headers.get('set-cookie')).toBeNull();
  });

  it('forged or altered tokens: an error page, never a redirect or a change', async () => {
    const id = await subscriber('kari@kunde.example');
    const good = signToken(NL_SECRET, 'u', [id]);
    const forged = [good.replace(`u.${id}.`, `u.${Number(id) + 1}.`), good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA'), signToken('wrong-secret', 'u', [id]), 'u.1', ''];
    for (const t of forged) {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${web.base}/newsletter/unsubscribe?t=${encodeURIComponent(t)}`, { method, body: method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined, headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}, redirect: 'manual' });
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
        expect(await res.text()).toContain('Lenken er ikke gyldig');
      }
    }
    const clickGood = signToken(NL_SECRET, 'c', ['1', id, '0']);
    for (const t of [clickGood.replace('.0.', '.1.'), clickGood.replace('c.1.', 'c.2.'), clickGood + 'x', `c.1.${id}.0.https://evil.example`]) {
      const res = await fetch(`${web.base}/newsletter/c?t=${encodeURIComponent(t)}`, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    expect((await subscriptionsOf(db.orm.em.fork(), id))[0]!.status).toBe('confirmed');
  });
});

describe('a sent campaign', () => {
  let campaignId: string;
  let tracked: string;
  let dnt: string;
  beforeAll(async () => {
    tracked = await subscriber('anne@firma.example');
    dnt = await subscriber('dnt@firma.example', { dnt: true });
    campaignId = await sendCampaign('November');
  });

  it('carries List-Unsubscribe (URL and mailto) and List-Unsubscribe-Post', () => {
    const raw = rawTo('anne@firma.example')[0]!;
    expect(raw).toMatch(/List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/newsletter\/unsubscribe\?t=u\.\d+\./);
    expect(raw).toMatch(/mailto:post@infracomfort\.example\?subject=unsubscribe/);
    expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(raw).toMatch(/Content-Type: text\/plain/);
    expect(raw).toMatch(/Content-Type: text\/html/);
  });

  it('DO NOT TRACK subscriber: the delivered HTML has no pixel and no tracking links', () => {
    const raw = rawTo('dnt@firma.example')[0]!;
    expect(raw).not.toContain('/newsletter/o?');
    expect(raw).not.toContain('/newsletter/c?');
    expect(raw).toContain('https://www.infracomfort.example/kurs');
    const other = rawTo('anne@firma.example')[0]!;
    expect(other).toContain('/newsletter/o?t=');
    expect(other).toContain('/newsletter/c?t=');
    void dnt;
  });

  it('machine opens and scanner clicks are reported apart from people', async () => {
    const ua = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
    const pixel = `${web.base}/newsletter/o?t=${signToken(NL_SECRET, 'o', [campaignId, tracked])}`;
    const click = `${web.base}/newsletter/c?t=${signToken(NL_SECRET, 'c', [campaignId, tracked, '1'])}`;
    // Within seconds of delivery: a prefetching proxy and a link scanner.
    await fetch(pixel, { headers: { 'user-agent': ua } });
    await fetch(pixel, { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' } });
    const scan = await fetch(click, { headers: { 'user-agent': ua }, redirect: 'manual' });
    expect(scan.status).toBe(302);
    await fetch(click, { method: 'HEAD', headers: { 'user-agent': 'Mimecast URL Protect' }, redirect: 'manual' });
    // An hour later: the person.
    await sql()(`update newsletter_recipient set sent_at = now() - interval '1 hour' where campaign_id = ?`, [campaignId]);
    await fetch(pixel, { headers: { 'user-agent': ua } });
    const human = await fetch(click, { headers: { 'user-agent': ua }, redirect: 'manual' });
    expect(human.headers.get('location')).toBe('https://www.infracomfort.example/kurs');
    // The DNT subscriber's old links (if any existed) store nothing.
    await fetch(`${web.base}/newsletter/o?t=${signToken(NL_SECRET, 'o', [campaignId, dnt])}`, { headers: { 'user-agent': ua } });
    const s = (await campaignStats(db.orm.em.fork(), campaignId))!;
    console.log('stats', JSON.stringify(s));
    expect(s.sent).toBe(3); // anne, the DNT subscriber and kari (from the test above)
    expect(s.machineOpens).toBe(2);
    expect(s.humanOpens).toBe(1);
    expect(s.machineClicks).toBe(2);
    expect(s.humanClicks).toBe(1);
    expect(s.uniqueHumanClicks).toBe(1);
    expect(s.machineReasons).toMatchObject({ prefetch: 1, 'image-proxy': 1, 'click-too-soon': 1, 'head-request': 1 });
    expect(s.topLinks).toEqual([{ url: 'https://www.infracomfort.example/kurs', clicks: 1 }]);
    const ips = await sql()<{ ip: string; subscriber_id: string }>(`select ip, subscriber_id::text from newsletter_event where campaign_id = ?`, [campaignId]);
    expect(new Set(ips.map((r) => r.ip))).toEqual(new Set(['127.0.0.0']));
    expect(ips.every((r) => r.subscriber_id === tracked)).toBe(true);
    const chart = await fetch(chartUrl(web.deps, campaignId));
    expect(chart.headers.get('content-type')).toContain('image/svg+xml');
    expect(await chart.text()).toContain('<svg');
    expect((await fetch(chartUrl(web.deps, campaignId).replace(/.$/, '_'))).status).toBe(400);
    // The PNG (what Slack shows): a real image of the chart's size, with both lines drawn.
    const png = await fetch(chartUrl(web.deps, campaignId, 'png'));
    expect(png.headers.get('content-type')).toBe('image/png');
    const image = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
    expect([image.width, image.height]).toEqual([640, 280]);
    const colours = new Set<string>();
    for (let i = 0; i < image.data.length; i += 4) colours.add(`${image.data[i]},${image.data[i + 1]},${image.data[i + 2]}`);
    expect(colours).toContain('11,92,173');
    expect(colours).toContain('217,72,15');
    expect((await fetch(chartUrl(web.deps, campaignId, 'png').replace(/.$/, '_'))).status).toBe(400);
    // The Slack summary carries the figures and the PNG, and names no subscriber.
    const summary = campaignSummaryMessage(s, '#sales', chartUrl(web.deps, campaignId, 'png'));
    expect(summary.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining('1 clicks by people') } },
      { type: 'image', image_url: chartUrl(web.deps, campaignId, 'png'), alt_text: expect.stringContaining('Opens (blue) and clicks (orange)') },
    ]);
    expect(JSON.stringify(summary)).not.toMatch(/@/);
  });

  it('view in browser renders the subscriber copy and counts a view', async () => {
    const res = await fetch(`${web.base}/newsletter/view?t=${signToken(NL_SECRET, 'v', [campaignId, tracked])}`, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Nyheter fra InfraComfort');
    expect(html).not.toContain('/newsletter/o?');
    expect((await campaignStats(db.orm.em.fork(), campaignId))!.views).toBe(1);
  });

  it('bounces from ingest: hard suppresses at once, soft after the limit', async () => {
    await db.orm.em.fork().transactional((em) => markNewsletterBounces(em, { kind: 'bounce', reason: 'dsn', bounce: { recipients: [{ address: 'Anne@firma.example', status: '5.1.1', hard: true }], originalMessageId: `<campaign-${campaignId}-${tracked}@infracomfort.example>` } }, 3, NL_SECRET));
    expect(await isSuppressed(db.orm.em.fork(), NL_SECRET, 'anne@firma.example')).toBe('hard-bounce');
    const s = (await campaignStats(db.orm.em.fork(), campaignId))!;
    expect(s.bounced).toBe(1);
    expect(s.delivered).toBe(2);
    for (let i = 0; i < 3; i++) {
      expect(await isSuppressed(db.orm.em.fork(), NL_SECRET, 'dnt@firma.example')).toBeNull();
      await db.orm.em.fork().transactional((em) => markNewsletterBounces(em, { kind: 'bounce', reason: 'dsn', bounce: { recipients: [{ address: 'dnt@firma.example', status: '4.2.2', hard: false }] } }, 3, NL_SECRET));
    }
    expect(await isSuppressed(db.orm.em.fork(), NL_SECRET, 'dnt@firma.example')).toBe('soft-bounces');
  });
});

describe('aggregate-only mode', () => {
  it('stores counts but not who or from where', async () => {
    const agg = await startNewsletterHttp(db.orm, { aggregateOnly: true });
    try {
      const id = await subscriber('agg@firma.example');
      const [c] = await sql()<{ id: string }>(`select id::text from newsletter_campaign order by id limit 1`);
      await fetch(`${agg.base}/newsletter/o?t=${signToken(NL_SECRET, 'o', [c!.id, id])}`, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' } });
      const rows = await sql()<{ subscriber_id: string | null; ip: string | null }>(`select subscriber_id, ip from newsletter_event order by id desc limit 1`);
      expect(rows[0]).toEqual({ subscriber_id: null, ip: null });
    } finally {
      await agg.close();
    }
  });
});

describe('reply "meld meg av" (fixture 11)', () => {
  it('unsubscribes Per Berg, confirms by email, opens no ticket', async () => {
    const per = await subscriber('per.berg@elektro.example');
    await sql()(`update newsletter_subscriber set name = 'Per Berg' where id = ?`, [per]);
    const processor = makeProcessor(db.orm, testFilingDeps());
    const msgId = await importRaw(db.orm, fixture('11-unsubscribe-reply-nb.eml'));
    processor.start();
    try {
      await until(async () => (await inbound(db.orm, msgId)).state === 'filed', { tries: 400 });
    } finally {
      await processor.stop();
    }
    const row = await inbound(db.orm, msgId);
    expect(row.outcome).toBe('newsletter-unsubscribe');
    expect((await subscriptionsOf(db.orm.em.fork(), per)).map((s) => s.status)).toEqual(['unsubscribed']);
    expect(await isSuppressed(db.orm.em.fork(), NL_SECRET, 'per.berg@elektro.example')).toBe('unsubscribe');
    expect(await sql()(`select 1 from ticket`)).toEqual([]);
    expect(await sql()(`select 1 from triage_item`)).toEqual([]);
    const mails = await sql()<{ payload: { to: string[]; subject: string } }>(`select payload from outbox_message where channel = 'email'`);
    expect(mails.map((m) => m.payload.to[0])).toContain('per.berg@elektro.example');
    expect(mails.find((m) => m.payload.to[0] === 'per.berg@elektro.example')!.payload.subject).toContain('meldt av');
  });
});
