/**
 * Issue 17, points 1-3 and the whole journey, through the running daemon: mail APPENDed to the
 * test Dovecot, campaigns and approvals through the real `mailroom` binary, mail out at the
 * SMTP peer, tracking links fetched over HTTP as a mail client would.
 *
 * Seven people are imported from one CSV and all get the first campaign. Then:
 * - Marit objects to direct marketing in a new mail (not a reply to the campaign),
 * - Jonas's mailbox provider reports him clicking "spam" (ARF, Original-Rcpt-To),
 * - Hedda's provider reports a complaint with the address only in the attached original,
 * - Tobias asks by mail not to be tracked,
 * - Sunniva has her data erased (verified by her link, approved by staff),
 * - Eirik and Linnea do nothing.
 * The next campaign reaches only Eirik, Linnea and (untracked) Tobias; the old links of everyone
 * who opted out record nothing; Sunniva's subscriber row is gone and only a keyed hash of her
 * address is left; importing the same CSV again brings none of them back.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { runCli, projectRoot } from '../support/cli-runner.ts';
import { stopStack, parseReceived, sleep, sqlFor, waitUntil, type ReceivedAck } from '../support/e2e-helpers.ts';

const P = {
  marit: { name: 'Marit Solberg', email: 'marit.solberg@fjordkraft-kunde.example' },
  jonas: { name: 'Jonas Lie', email: 'jonas.lie@epostleverandor.example' },
  hedda: { name: 'Hedda Moe', email: 'hedda.moe@epostleverandor.example' },
  tobias: { name: 'Tobias Holm', email: 'tobias.holm@holm-vvs.example' },
  sunniva: { name: 'Sunniva Dahl', email: 'sunniva.dahl@dahl-eiendom.example' },
  eirik: { name: 'Eirik Nes', email: 'eirik.nes@nes-bygg.example' },
  linnea: { name: 'Linnea Berg', email: 'linnea.berg@berg-drift.example' },
};
type Key = keyof typeof P;

const HTML = `<html><body><h1>Vinternytt</h1><p>Hei {{first_name}}!</p>
<p>Se <a href="https://www.infracomfort.example/vinter">vintertilbudene</a>.</p></body></html>`;

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;
let dir: string;
let configFile: string;
let csv: string;
const firstCampaign = new Map<Key, ReceivedAck>();

const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlFor(db.orm)<T>(text, params);
const cli = (...args: string[]) =>
  runCli({ databaseUrl: db.url, dataDir: env.MAILROOM_DATA_DIR!, secret: env.MAILROOM_SECRET, extra: { MAILROOM_CONFIG: configFile } }, ...args);
/** The daemon's links name it by its default public URL (localhost); fetch them on the loopback address it listens on. */
const onDaemon = (link: string) => {
  const u = new URL(link);
  return `http://127.0.0.1:${daemon!.httpPort}${u.pathname}${u.search}`;
};
const describeState = async () => `${JSON.stringify(await q(`select id, state, outcome, record_ref from inbound_message order by id`))}\n${daemon?.output().slice(-3000) ?? ''}`;

async function cliOk(...args: string[]): Promise<string> {
  const r = await cli(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function mailsTo(address: string): Promise<ReceivedAck[]> {
  return Promise.all(peer.messages.filter((m) => m.envelope.to.includes(address)).map(parseReceived));
}

async function append(raw: string, messageId: string): Promise<{ outcome: string; record_ref: string | null }> {
  await dovecot.append(dovecot.users[0]!.user, 'INBOX', raw);
  return waitUntil(`${messageId} filed`, async () => (await q<{ outcome: string; record_ref: string | null; state: string }>(`select state, outcome, record_ref from inbound_message where message_id = ? and state = 'filed'`, [messageId]))[0], {
    timeoutMs: 60_000,
    describe: describeState,
  });
}

function personalMail(from: Key, tag: string, subject: string, body: string): { raw: string; id: string } {
  const id = `<suppression-${tag}@${P[from].email.split('@')[1]}>`;
  const raw = [`From: ${P[from].name} <${P[from].email}>`, 'To: InfraComfort <post@infracomfort.example>', `Subject: ${subject}`, `Message-ID: ${id}`, `Date: ${new Date().toUTCString()}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', body, ''].join('\r\n');
  return { raw, id };
}

/** An RFC 5965 feedback report as a mailbox provider's feedback loop sends it. */
function arf(tag: string, original: ReceivedAck, opts: { originalRcptTo?: string }): { raw: string; id: string } {
  const id = `<arf-${tag}@fbl.epostleverandor.example>`;
  const originalHeaders = original.raw.toString('utf8').split(/\r?\n\r?\n/)[0]!;
  const raw = [
    'From: Feedback Loop <fbl@epostleverandor.example>',
    'To: post@infracomfort.example',
    'Subject: FW: abuse report',
    `Message-ID: ${id}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="fbl-boundary"',
    '',
    '--fbl-boundary',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is an email abuse report for an email message received from IP 192.0.2.25.',
    '',
    '--fbl-boundary',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: EpostFBL/2.1',
    'Version: 1',
    ...(opts.originalRcptTo ? [`Original-Rcpt-To: <${opts.originalRcptTo}>`] : []),
    'Source-IP: 192.0.2.25',
    `Arrival-Date: ${new Date().toUTCString()}`,
    '',
    '--fbl-boundary',
    'Content-Type: text/rfc822-headers',
    '',
    originalHeaders,
    '',
    '--fbl-boundary--',
    '',
  ].join('\r\n');
  return { raw, id };
}

/** The tracking links of a received campaign mail (pixel and the rewritten click). */
function trackingLinks(m: ReceivedAck): { open?: string; click?: string } {
  const html = String(m.parsed.html || '');
  const open = /src="([^"]*\/newsletter\/o\?t=[^"]+)"/.exec(html)?.[1];
  const click = /href="([^"]*\/newsletter\/c\?t=[^"]+)"/.exec(html)?.[1];
  return { open: open && onDaemon(open.replace(/&amp;/g, '&')), click: click && onDaemon(click.replace(/&amp;/g, '&')) };
}

async function sendCampaign(name: string): Promise<string> {
  const htmlFile = path.join(dir, `${name}.html`);
  writeFileSync(htmlFile, HTML);
  const id = (await cliOk('campaigns', 'create', '--name', name, '--subject', `${name} fra InfraComfort`, '--html', htmlFile, '--list', 'nyhetsbrev')).trim();
  const scheduled = await cliOk('campaigns', 'schedule', id);
  const task = /task (T-\d+)/.exec(scheduled)![1]!;
  await cliOk('tasks', 'approve', task, '--as', 'ada');
  await waitUntil(`campaign ${id} sent`, async () => (await q(`select 1 from newsletter_campaign where id = ? and status = 'sent'`, [id])).length > 0, { timeoutMs: 60_000, describe: describeState });
  return id;
}

const subscriberId = async (k: Key) => (await q<{ id: string }>(`select id::text from newsletter_subscriber where email = ?`, [P[k].email]))[0]?.id;
const eventsOf = async (id: string) => (await q<{ n: number }>(`select count(*)::int as n from newsletter_event where subscriber_id = ? and kind in ('open', 'click', 'view')`, [id]))[0]!.n;

beforeAll(async () => {
  db = await createTestDatabase();
  [dovecot, peer] = await Promise.all([startDovecot(), startSmtpPeer()]);
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-suppression-'));
  const base = (parseYaml(readFileSync(path.join(projectRoot, 'config/mailroom.yaml'), 'utf8')) ?? {}) as Record<string, any>;
  configFile = path.join(dir, 'mailroom.yaml');
  writeFileSync(
    configFile,
    stringifyYaml({
      ...base,
      outbox: { ...(base.outbox ?? {}), backoffBaseMs: 100, backoffMaxMs: 1000, pollIntervalMs: 100 },
      slack: { ...(base.slack ?? {}), approvers: { broadcast: ['ada'], erasure: ['ada'], 'data-export': ['ada'], rectification: ['ada'] } },
      newsletter: { ...(base.newsletter ?? {}), scheduleCron: '* * * * * *', ratePerSecond: 0, perDomainPerSecond: 0 },
    }),
  );
  csv = path.join(dir, 'kunder.csv');
  writeFileSync(csv, ['epost;navn', ...Object.values(P).map((p) => `${p.email};${p.name}`)].join('\r\n') + '\r\n');
  env = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, MAILROOM_CONFIG: configFile, ...dovecot.env() });
  daemon = await startDaemonProcess(env);

  const imported = await cli('subscribers', 'import', csv, '--list', 'nyhetsbrev', '--json');
  expect(imported.code, imported.stderr).toBe(0);
  await sendCampaign('Vinternytt');
  await waitUntil('the first campaign at the peer', () => peer.messages.length >= 7, { timeoutMs: 60_000 });
  for (const k of Object.keys(P) as Key[]) firstCampaign.set(k, (await mailsTo(P[k].email))[0]!);
}, 240_000);

afterAll(async () => {
  await stopStack({ daemon, peers: [peer, dovecot], db, env, dirs: [dir] });
});

describe('issue 17: every opt-out reaches every channel that markets or tracks', () => {
  it('the first campaign reached all seven, with tracking links', () => {
    for (const k of Object.keys(P) as Key[]) {
      expect(firstCampaign.get(k), k).toBeDefined();
      expect(trackingLinks(firstCampaign.get(k)!).click, k).toMatch(/\/newsletter\/c\?t=/);
    }
  });

  it('an objection to direct marketing in a NEW mail: the case completes at once and a receipt goes out in Norwegian', async () => {
    const m = personalMail('marit', 'objection', 'Direkte markedsføring', 'Hei. Jeg protesterer mot at dere bruker personopplysningene mine til direkte markedsføring, og jeg vil ikke ha flere nyhetsbrev.\n\nMvh Marit');
    const filed = await append(m.raw, m.id);
    expect(filed.outcome).toBe('privacy');
    const [kase] = await q(`select state, language from privacy_case where ref = ?`, [filed.record_ref]);
    expect(kase).toMatchObject({ state: 'completed', language: 'nb' });
    const receipt = await waitUntil('the receipt', async () => (await mailsTo(P.marit.email)).find((a) => a.subject.includes(filed.record_ref!)), { timeoutMs: 30_000, describe: describeState });
    expect(receipt.text).toMatch(/reservasjon mot markedsføring/);
    // No identity check was needed to stop the mail, and none was asked for.
    expect(receipt.text).not.toMatch(/\/privacy\/verify/);
    expect((await q(`select status from newsletter_subscription s join newsletter_subscriber b on b.id = s.subscriber_id where b.email = ?`, [P.marit.email])).map((r) => r.status)).toEqual(['unsubscribed']);
  });

  it('a spam complaint (ARF) names the complainer in Original-Rcpt-To: off every list, suppressed, nothing answered', async () => {
    const before = peer.messages.length;
    const report = arf('jonas', firstCampaign.get('jonas')!, { originalRcptTo: P.jonas.email });
    expect((await append(report.raw, report.id)).outcome).toBe('feedback-report');
    expect((await q(`select status from newsletter_subscription s join newsletter_subscriber b on b.id = s.subscriber_id where b.email = ?`, [P.jonas.email])).map((r) => r.status)).toEqual(['unsubscribed']);
    await sleep(1500); // an answer would arrive in this window
    expect(peer.messages.length).toBe(before);
    const queued = (await q<{ to: string[] }>(`select payload->'to' as to from outbox_message where channel = 'email'`)).flatMap((r) => r.to);
    expect(queued).not.toContain('fbl@epostleverandor.example');
    expect(queued).not.toContain(P.jonas.email);
  });

  it('a complaint with the complainer only in the attached original does the same', async () => {
    const report = arf('hedda', firstCampaign.get('hedda')!, {});
    expect((await append(report.raw, report.id)).outcome).toBe('feedback-report');
    expect((await q(`select status from newsletter_subscription s join newsletter_subscriber b on b.id = s.subscriber_id where b.email = ?`, [P.hedda.email])).map((r) => r.status)).toEqual(['unsubscribed']);
  });

  it('DO NOT TRACK by mail: the case completes at once, the person stays subscribed', async () => {
    const m = personalMail('tobias', 'dnt', 'Sporing i nyhetsbrevet', 'Hei, jeg vil gjerne ha nyhetsbrevet, men ikke spor meg. Slå på DO NOT TRACK for meg, takk.');
    const filed = await append(m.raw, m.id);
    expect(filed.outcome).toBe('privacy');
    expect((await q(`select state from privacy_case where ref = ?`, [filed.record_ref]))[0]).toMatchObject({ state: 'completed' });
    expect((await q(`select dnt from newsletter_subscriber where email = ?`, [P.tobias.email]))[0]).toMatchObject({ dnt: true });
  });

  it('an erasure, verified by the link and approved by staff: the subscriber row is gone, a keyed hash is left', async () => {
    const m = personalMail('sunniva', 'erasure', 'Sletting', 'Hei. Jeg ber om at dere sletter alle opplysninger dere har om meg.');
    const filed = await append(m.raw, m.id);
    expect(filed.outcome).toBe('privacy');
    const receipt = await waitUntil('the receipt with the verification link', async () => (await mailsTo(P.sunniva.email)).find((a) => /\/privacy\/verify\?t=/.test(a.text)), { timeoutMs: 30_000, describe: describeState });
    const token = /\/privacy\/verify\?t=([A-Za-z0-9_-]+)/.exec(receipt.text)![1]!;
    const verified = await fetch(`http://127.0.0.1:${daemon!.httpPort}/privacy/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `t=${token}` });
    expect(verified.status).toBe(200);
    const [task] = await q<{ public_id: string }>(`select public_id from task where record_ref = ? and action_kind = 'erasure'`, [filed.record_ref]);
    await cliOk('tasks', 'approve', task!.public_id, '--as', 'ada');
    expect((await q(`select state from privacy_case where ref = ?`, [filed.record_ref]))[0]).toMatchObject({ state: 'completed' });
    expect(await q(`select 1 from newsletter_subscriber where email = ?`, [P.sunniva.email])).toEqual([]);
    const keyed = createHmac('sha256', env.MAILROOM_SECRET!).update(P.sunniva.email).digest('hex');
    const unkeyed = createHash('sha256').update(`mailroom-suppression:${P.sunniva.email}`).digest('hex');
    expect(await q(`select kind, scheme from address_suppression where address_hash = ?`, [keyed])).toEqual([{ kind: 'erasure', scheme: 'hmac-sha256' }]);
    expect(await q(`select 1 from address_suppression where address_hash = ?`, [unkeyed])).toEqual([]);
    // Nowhere in the database is her address left in clear, bar the privacy case that documents the request.
    const hits = await q<{ t: string }>(
      `select table_name as t from information_schema.columns where table_schema = 'public' and table_name like 'newsletter_%' and data_type in ('text', 'character varying')`,
    );
    for (const { t } of hits) {
      const [row] = await q<{ n: number }>(`select count(*)::int as n from "${t}" t where t::text ilike ?`, [`%${P.sunniva.email}%`]);
      expect(row!.n, t).toBe(0);
    }
  });

  it('the next campaign skips everyone who opted out, and Tobias gets it without tracking', async () => {
    const before = peer.messages.length;
    await sendCampaign('Julenytt');
    await waitUntil('the second campaign at the peer', async () => (await Promise.all(peer.messages.slice(before).map(parseReceived))).filter((m) => m.subject.startsWith('Julenytt')).length >= 3, { timeoutMs: 60_000 });
    await sleep(1500); // a wrongly sent copy would arrive in this window
    // Only the campaign's copies (a privacy confirmation may still be on its way).
    const second = (await Promise.all(peer.messages.slice(before).map(parseReceived))).filter((m) => m.subject.startsWith('Julenytt'));
    const to = second.map((m) => m.to[0]).sort();
    expect(to).toEqual([P.eirik.email, P.linnea.email, P.tobias.email].sort());
    const tobias = second.find((m) => m.to[0] === P.tobias.email)!;
    expect(trackingLinks(tobias)).toEqual({ open: undefined, click: undefined });
    expect(String(tobias.parsed.html)).toContain('https://www.infracomfort.example/vinter');
    expect(trackingLinks(second.find((m) => m.to[0] === P.eirik.email)!).click).toBeDefined();
  });

  it('the old click and open links of everyone who opted out record nothing (and still work)', async () => {
    const ids = new Map<Key, string>();
    for (const k of ['marit', 'jonas', 'hedda', 'tobias', 'eirik'] as Key[]) ids.set(k, (await subscriberId(k))!);
    const ua = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/128.0' };
    for (const k of ['marit', 'jonas', 'hedda', 'tobias', 'sunniva', 'eirik'] as Key[]) {
      const links = trackingLinks(firstCampaign.get(k)!);
      const click = await fetch(links.click!, { redirect: 'manual', headers: ua });
      expect(click.status, k).toBe(302);
      expect(click.headers.get('location')).toBe('https://www.infracomfort.example/vinter');
      const open = await fetch(links.open!, { headers: ua });
      expect(open.status, k).toBe(200);
    }
    await waitUntil('Eirik\'s click recorded', async () => (await eventsOf(ids.get('eirik')!)) >= 2, { timeoutMs: 10_000 });
    for (const k of ['marit', 'jonas', 'hedda', 'tobias'] as Key[]) expect(await eventsOf(ids.get(k)!), k).toBe(0);
    expect(await q(`select 1 from newsletter_event e where not exists (select 1 from newsletter_subscriber s where s.id = e.subscriber_id) and e.subscriber_id is not null`)).toEqual([]);
  });

  it('importing the same CSV again brings none of them back', async () => {
    const r = await cli('subscribers', 'import', csv, '--list', 'nyhetsbrev', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(await q(`select 1 from newsletter_subscriber where email = ?`, [P.sunniva.email])).toEqual([]);
    const confirmed = await q<{ email: string }>(`select b.email from newsletter_subscription s join newsletter_subscriber b on b.id = s.subscriber_id where s.status = 'confirmed' order by 1`);
    expect(confirmed.map((c) => c.email)).toEqual([P.eirik.email, P.linnea.email, P.tobias.email].sort());
    expect(r.stdout).toMatch(/suppressed/);
  });
});
