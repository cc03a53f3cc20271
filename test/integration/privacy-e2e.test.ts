/**
 * Issue 6 "Done when" 1: fixtures 03, 04 and 13 end to end — Dovecot (IMAP IDLE) → privacy case
 * → verification link → Slack approval through a signed interaction → email at the SMTP peer.
 *
 * The daemon's components run in this process (watcher, processor, outbox dispatcher with the
 * SMTP and Slack deliverers, the Slack app and HTTP server) wired exactly as src/app/daemon.ts
 * does, plus `wirePrivacy`, which daemon.ts does not call yet (the lead wires it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { BOT, slackInteractionRequest, startSlackFake, type SlackFake } from '../support/slack-fake.ts';
import { fixture, seedFixtureCompany } from '../support/filing-harness.ts';
import { getFreePort } from '../support/free-port.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { OutboxDispatcher } from '../../src/outbox/dispatcher.ts';
import { SmtpDeliverer } from '../../src/outbox/transports/smtp-transport.ts';
import { SlackDeliverer } from '../../src/slack/slack-deliverer.ts';
import { createSlackApp, type SlackApp } from '../../src/slack/slack-app.ts';
import { HttpServer } from '../../src/http/http-server.ts';
import { IngestProcessor } from '../../src/ingest/ingest-processor.ts';
import { RawCache } from '../../src/ingest/raw-cache.ts';
import { ImapWatcher } from '../../src/ingest/imap-watcher.ts';
import { createFiler } from '../../src/handlers/file-message.ts';
import { filingDepsFromConfig } from '../../src/app/filing-setup.ts';
import { ActionRegistry } from '../../src/tasks/action-registry.ts';
import { ACTION_IDS, buttonValue } from '../../src/slack/block-kit.ts';
import { privacyDepsFromConfig, wirePrivacy } from '../../src/privacy/wire.ts';
import { otherCoverage } from '../../src/app/privacy-setup.ts';
import { computeDue } from '../../src/privacy/due-date.ts';
import { formatDay } from '../../src/templates/human-date.ts';
import { offlineResolver } from './privacy-support.ts';

const TOKEN = 'xoxb-privacy-e2e';
const SIGNING_SECRET = 'privacy-e2e-signing-secret-0123';
const CHANNELS = { support: 'C0SUPPORT', sales: 'C0SALES', triage: 'C0TRIAGE', privacy: 'C0PRIVACY', alerts: 'C0ALERTS' };
const APPROVER = { id: 'U0PRIV', username: 'personvern' };
const INBOX = { user: 'post@infracomfort.example', password: 'imap-secret-privacy' };
const KARI = 'kari.nordmann@fjordvarme.example';
const MARIA = 'maria.svensson@kundeab.example';

let db: TestDatabase;
let dovecot: DovecotInstance;
let smtp: SmtpPeer;
let fake: SlackFake;
let configDir: string;
let httpPort: number;
const stops: (() => Promise<void>)[] = [];

const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlOf(db.orm.em.fork())<T>(text, params);

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function mailsTo(address: string): Promise<ParsedMail[]> {
  const all = await Promise.all(smtp.messages.map((m) => simpleParser(m.raw)));
  return all.filter((m) => JSON.stringify(m.to).toLowerCase().includes(address));
}

async function mailWith(address: string, subject: RegExp): Promise<ParsedMail> {
  return waitFor(`a mail to ${address} matching ${subject}`, async () => (await mailsTo(address)).find((m) => subject.test(m.subject ?? '')));
}

const linkIn = (m: ParsedMail, kind: 'verify' | 'package') => new RegExp(`http://127\\.0\\.0\\.1:\\d+/privacy/${kind}\\?t=[A-Za-z0-9_-]+`).exec(m.text ?? '')?.[0];

async function postForm(url: string): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  const res = await fetch(`${u.origin}${u.pathname}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `t=${u.searchParams.get('t')}`, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
}

async function approve(task: { public_id: string; version: number; slack_ts: string | null; slack_channel_id: string | null; channel: string }) {
  const payload = {
    type: 'block_actions',
    team: { id: BOT.team_id, domain: 'infracomfort' },
    user: { id: APPROVER.id, username: APPROVER.username, name: APPROVER.username, team_id: BOT.team_id },
    api_app_id: BOT.app_id,
    token: 'legacy',
    container: { type: 'message', message_ts: task.slack_ts, channel_id: task.slack_channel_id ?? task.channel, is_ephemeral: false },
    trigger_id: '1337.42.privacy',
    channel: { id: task.slack_channel_id ?? task.channel, name: 'privacy' },
    message: { type: 'message', ts: task.slack_ts, bot_id: BOT.bot_id, text: 'task' },
    response_url: 'https://hooks.slack.com/actions/T0/1/x',
    actions: [{ type: 'button', action_id: ACTION_IDS.approve, block_id: `task_${task.public_id}`, value: buttonValue({ publicId: task.public_id, version: Number(task.version) }), action_ts: String(Date.now() / 1000), text: { type: 'plain_text', text: 'Approve' } }],
  };
  const r = slackInteractionRequest(payload, SIGNING_SECRET);
  const res = await fetch(`http://127.0.0.1:${httpPort}/slack/events`, { method: 'POST', headers: r.headers, body: r.body, signal: AbortSignal.timeout(15_000) });
  expect(res.status).toBe(200);
}

const approvalTask = (ref: string, actionKind: string) =>
  waitFor(`the ${actionKind} approval of ${ref} posted to Slack`, async () => (await q(`select * from task where record_ref = ? and action_kind = ? and slack_ts is not null`, [ref, actionKind]))[0] as any);

beforeAll(async () => {
  db = await createTestDatabase();
  await seedFixtureCompany(db.orm);
  // Maria (fixture 04) is a customer contact with a lead, an order and a portal account.
  await db.orm.em.fork().transactional(async (em) => {
    const sql = sqlOf(em);
    const [org] = await sql<{ id: string }>(`insert into organisation (name, kind, domain) values ('Kunde AB', 'customer', 'kundeab.example') returning id`);
    const [c] = await sql<{ id: string }>(`insert into contact (email, name, organisation_id) values (?, 'Maria Svensson', ?) returning id`, [MARIA, org!.id]);
    await sql(`insert into lead (ref, source, subject, contact_id) values ('LEAD-000777', 'email', 'Offert', ?)`, [c!.id]);
    await sql(`insert into customer_order (order_number, order_date, buyer_name, buyer_email, buyer_contact_id) values ('ORD-2018', '2018-02-01', 'Maria Svensson', ?, ?), ('ORD-2025', '2025-06-01', 'Maria Svensson', ?, ?)`, [MARIA, c!.id, MARIA, c!.id]);
    await sql(`insert into portal_user (username, name, email, mobile, contact_id) values ('maria', 'Maria Svensson', ?, '+46 70 000', ?)`, [MARIA, c!.id]);
    const [kari] = await sql<{ id: string }>(`select id from contact where email = ?`, [KARI]);
    await sql(`insert into portal_user (username, name, email, mobile, contact_id) values ('kari', 'Kari Nordmann', ?, '900 00 000', ?)`, [KARI, kari!.id]);
  });
  [dovecot, smtp, fake] = await Promise.all([
    startDovecot({ users: [INBOX] }),
    startSmtpPeer(),
    startSlackFake({ tokens: [TOKEN], channels: Object.values(CHANNELS), tsBase: Math.floor(Date.now() / 1000) }),
  ]);
  httpPort = await getFreePort();
  const base = (parseYaml(readFileSync(path.resolve('config/mailroom.yaml'), 'utf8')) ?? {}) as Record<string, any>;
  configDir = mkdtempSync(path.join(tmpdir(), 'mailroom-privacy-e2e-'));
  const configFile = path.join(configDir, 'mailroom.yaml');
  writeFileSync(
    configFile,
    stringifyYaml({ ...base, outbox: { ...(base.outbox ?? {}), pollIntervalMs: 100, backoffBaseMs: 100, backoffMaxMs: 1000 }, slack: { channels: CHANNELS, approvers: { '*': [APPROVER.id] } } }),
  );
  const config = loadConfig({
    MAILROOM_DATA_DIR: configDir,
    MAILROOM_SECRET: 'test-secret-0123456789abcdef',
    MAIL_FROM: 'post@infracomfort.example',
    MAILROOM_CONFIG: configFile,
    DATABASE_URL: db.url,
    SMTP_URL: smtp.url,
    ...dovecot.env(INBOX.user),
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.url,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
  });

  // As src/app/daemon.ts composes it.
  const log = silentLogger;
  const dispatcher = new OutboxDispatcher({
    em: db.orm.em.fork(),
    deliverers: { email: new SmtpDeliverer(smtp.url, { poolSize: 2 }), slack: new SlackDeliverer({ orm: db.orm, token: TOKEN, apiUrl: fake.url, log }) },
    workerId: 'privacy-e2e',
    log,
    ...config.behaviour.outbox,
    journalDir: path.join(configDir, 'journal'),
  });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
  const actions = new ActionRegistry();
  const privacy = privacyDepsFromConfig(config, { resolver: offlineResolver, coverage: otherCoverage });
  const filingDeps = filingDepsFromConfig(config, { privacy });
  const rawCache = new RawCache();
  let watcher: ImapWatcher | undefined;
  const processor = new IngestProcessor({
    rawCache,
    orm: db.orm,
    log,
    file: createFiler(filingDeps),
    maxAttempts: 3,
    ownDomains: config.behaviour.organisation.ownDomains,
    messageIdDomain: config.messageIdDomain,
    pollIntervalMs: 100,
    onFiled: () => {
      dispatcher.wake();
      watcher?.requestServerActions();
    },
  });
  processor.start();
  stops.push(() => processor.stop());
  const env = config.env;
  watcher = new ImapWatcher({
    orm: db.orm,
    connection: { host: env.IMAP_HOST!, port: env.IMAP_PORT!, secure: env.IMAP_SECURE ?? false, user: env.IMAP_USER!, auth: { pass: env.IMAP_PASSWORD! } },
    mailbox: env.IMAP_MAILBOX,
    log,
    options: { ...config.behaviour.ingest },
    onStored: () => processor.wake(),
    rawCache,
    lockUrl: db.url,
    instanceName: 'privacy-e2e',
  } as ConstructorParameters<typeof ImapWatcher>[0]);
  watcher.start();
  stops.push(() => watcher!.stop());
  const http = new HttpServer({ port: httpPort, host: '127.0.0.1', log, readiness: [], metricsText: async () => ({ contentType: 'text/plain', body: '' }) });
  const slack: SlackApp = createSlackApp({
    orm: db.orm,
    botToken: TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: fake.url,
    approvers: config.behaviour.slack.approvers,
    actions,
    route: (m, p, h) => http.route(m, p, h),
    log,
    onCommitted: () => dispatcher.wake(),
  });
  await slack.start();
  stops.push(() => slack.stop());
  wirePrivacy({ orm: db.orm, deps: privacy, actions, route: (m, p, h) => http.route(m, p, h), log, onCommitted: () => dispatcher.wake() });
  await http.listen();
  stops.push(() => http.close());
}, 120_000);

afterAll(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
  await fake?.stop();
  await smtp?.stop();
  await dovecot?.stop();
  await db?.drop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

describe('privacy fixtures end to end', () => {
  it('03 (innsyn): case with due date, Norwegian receipt with a verification link, approval in Slack, the package link to the address on file', async () => {
    await dovecot.append(INBOX.user, 'INBOX', fixture('03-privacy-access-nb.eml'));
    const kase = await waitFor('a privacy case for fixture 03', async () => (await q(`select c.* from privacy_case c join inbound_message m on m.id = c.inbound_message_id where m.message_id = '<fixture-03@mail.customer.example>'`))[0] as any);
    expect(kase.subject_email).toBe(KARI);
    expect(kase.due_date).toBe(computeDue(new Date(kase.received_at)).dueDate);
    const rights = await q(`select "right", state from privacy_right where case_id = ?`, [kase.id]);
    expect(rights).toEqual([{ right: 'access', state: 'received' }]);

    const receipt = await mailWith(KARI, /Vi har mottatt personvernhenvendelsen din \[PRV-\d{6}\]/);
    expect(receipt.text).toContain(kase.ref);
    // The due date written for people (18.8), not ISO.
    expect(receipt.text).toContain(`senest ${formatDay(kase.due_date, 'nb')}.`);
    expect(receipt.text).not.toContain(kase.due_date);
    // Nothing personal before verification and approval: no phone, no organisation, no package.
    expect(receipt.text).not.toMatch(/912 34 567|Fjordvarme|Driftsleder/);
    const verify = linkIn(receipt, 'verify')!;
    expect(verify).toBeTruthy();
    expect((await fetch(verify)).status).toBe(200); // the page; a GET consumes nothing
    expect((await postForm(verify)).status).toBe(200);
    expect((await postForm(verify)).status).toBe(410); // one-time

    const task = await approvalTask(kase.ref, 'data-export');
    // Slack sees the case reference, right and due date, never the person.
    const slackText = JSON.stringify(fake.callsTo('chat.postMessage').map((c) => c.body));
    expect(slackText).toContain(kase.ref);
    expect(slackText).not.toMatch(/kari|nordmann|fjordvarme/i);
    await approve(task);

    const answer = await mailWith(KARI, /Innsyn: opplysningene vi har om deg/);
    const link = linkIn(answer, 'package')!;
    const pkg = await postForm(link);
    expect(pkg.status).toBe(200);
    expect(pkg.text).toContain('Kari Nordmann');
    expect(pkg.text).toContain('912 34 567');
    expect(pkg.text).toContain('Datatilsynet');
    expect(pkg.text).toContain('"informationSheet"');
    expect((await postForm(link)).status).toBe(410);
    const after = (await q(`select state from privacy_case where id = ?`, [kase.id]))[0]!;
    expect(after.state).toBe('completed');
    const audit = (await q(`select actor_kind, action from privacy_audit where case_id = ? order by id`, [kase.id])).map((a) => `${a.actor_kind}:${a.action}`);
    expect(audit).toEqual(expect.arrayContaining(['system:received', 'system:verification-sent', 'subject:identity-verified', 'slack:approved', 'subject:package-downloaded', 'system:closed']));
    // Every mail so far went to Kari's address on file and nowhere else.
    expect([...new Set(smtp.messages.flatMap((m) => m.envelope.to.map((a) => a.toLowerCase())))]).toEqual([KARI]);
  }, 90_000);

  it('04 (erasure, English): the plan goes to Slack for approval, the confirmation lists what was deleted and what was kept and why', async () => {
    await dovecot.append(INBOX.user, 'INBOX', fixture('04-privacy-erasure-en.eml'));
    const kase = await waitFor('a privacy case for fixture 04', async () => (await q(`select c.* from privacy_case c join inbound_message m on m.id = c.inbound_message_id where m.message_id = '<fixture-04@mail.customer.example>'`))[0] as any);
    expect(kase.language).toBe('en');
    const receipt = await mailWith(MARIA, /We have received your privacy request/);
    await postForm(linkIn(receipt, 'verify')!);
    const task = await approvalTask(kase.ref, 'erasure');
    expect(task.summary).toMatch(/orders \/ customer_order: delete 1, keep 1 until 2030-12-31/);
    expect(task.summary).not.toMatch(/maria|svensson/i);
    await approve(task);
    const done = await mailWith(MARIA, /Your data has been erased/);
    // The privacy statement's categories, not tables; dates for people (17.7, 18.8).
    expect(done.text).toMatch(/Deleted or anonymised:[\s\S]*- requests for offers in our sales support system/);
    expect(done.text).toMatch(/Kept, and why:[\s\S]*- orders, until 31 December 2030: Orders must be kept for bookkeeping/);
    expect(done.text).not.toMatch(/customer_order|inbound_raw_chunk|outbox_message|record_message/);
    expect(await q(`select * from lead where ref = 'LEAD-000777'`)).toHaveLength(0);
    expect((await q(`select order_number from customer_order where buyer_email = ?`, [MARIA])).map((r) => r.order_number)).toEqual(['ORD-2025']);
    expect(await q(`select * from portal_user where username = 'maria'`)).toHaveLength(0);
  }, 90_000);

  it('13 (retting): a rectification case whose Slack task describes the change; applied after approval and confirmed', async () => {
    await dovecot.append(INBOX.user, 'INBOX', fixture('13-privacy-rectify-nb.eml'));
    const kase = await waitFor('a privacy case for fixture 13', async () => (await q(`select c.* from privacy_case c join inbound_message m on m.id = c.inbound_message_id where m.message_id = '<fixture-13@mail.customer.example>'`))[0] as any);
    expect((await q(`select "right" from privacy_right where case_id = ?`, [kase.id])).map((r) => r.right)).toEqual(['rectification']);
    const receipt = await waitFor('the receipt for fixture 13', async () => (await mailsTo(KARI)).find((m) => (m.text ?? '').includes(kase.ref)));
    await postForm(linkIn(receipt, 'verify')!);
    const task = await approvalTask(kase.ref, 'rectification');
    expect(task.summary).toContain('phone → a number ending 345');
    const posted = JSON.stringify(fake.callsTo('chat.postMessage').map((c) => c.body));
    expect(posted).toContain('phone → a number ending 345');
    await approve(task);
    await mailWith(KARI, /Opplysningene dine er rettet/);
    expect((await q(`select phone from contact where email = ?`, [KARI]))[0]!.phone).toBe('478 12 345');
    expect((await q(`select mobile from portal_user where username = 'kari'`))[0]!.mobile).toBe('478 12 345');
  }, 90_000);
});
