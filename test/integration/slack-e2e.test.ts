/**
 * Issue 5's "Done when", end to end through the real daemon process: mail arrives over IMAP
 * (Dovecot), tasks reach the Slack fake through the outbox, signed interactions come back on the
 * daemon's HTTP port, emails leave through the SMTP peer. And the same flows with Slack off,
 * through the CLI (`node bin/mailroom.js tasks …`) as separate processes.
 *
 * Every wait is bounded (waitFor); every peer is stopped in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { slackInteractionRequest, startSlackFake, type SlackCall, type SlackFake, type SlackMessage } from '../support/slack-fake.ts';
import { blockActionsPayload, viewSubmissionPayload, type SlackTestUser } from '../support/slack-payloads.ts';
import { fixture, seedFixtureCompany } from '../support/filing-harness.ts';
import { startSlackFaultProxy, type SlackFaultProxy } from '../support/slack-e2e-faults.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { readThreadToken } from '../../src/threading/thread-token.ts';
import { ACTION_IDS, INPUT_IDS, VIEW_IDS } from '../../src/slack/block-kit.ts';
import { createTask, decideTask } from '../../src/tasks/task-service.ts';

const TOKEN = 'xoxb-e2e-test-token';
const SIGNING_SECRET = 'e2e-signing-secret-0123456789';
/** daemonEnv's MAILROOM_SECRET: the key of the thread tokens in our Message-IDs. */
const MAILROOM_SECRET = 'test-secret-0123456789abcdef';
const CHANNELS = { support: 'C0SUPPORT', sales: 'C0SALES', triage: 'C0TRIAGE', privacy: 'C0PRIVACY', alerts: 'C0ALERTS' };
const KARI = { id: 'U0KARI', username: 'kari' };
const EVE = { id: 'U0EVE', username: 'eve' };
const SLACK_INBOX = { user: 'post@infracomfort.example', password: 'imap-secret-slack' };
const CLI_INBOX = { user: 'cli@infracomfort.example', password: 'imap-secret-cli' };
/**
 * The issue's outage is "500 for a minute". Shortened here to a few seconds with the outbox
 * backoff scaled down to match (backoffBaseMs 100, backoffMaxMs 1000 in the test config): every
 * post is still refused several times over, which is what the minute is for. Set
 * MAILROOM_E2E_SLACK_OUTAGE_MS=60000 to run the full minute.
 */
const OUTAGE_MS = Number(process.env.MAILROOM_E2E_SLACK_OUTAGE_MS ?? 5000);

let dovecot: DovecotInstance;
let smtp: SmtpPeer;
let fake: SlackFake;
let proxy: SlackFaultProxy;
let configDir: string;
let configFile: string;

/** Polls until `fn` gives a value (not undefined/null/false); fails with `what` after timeoutMs. */
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 30_000, daemon?: DaemonProcess): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}${daemon ? `\n--- daemon output ---\n${daemon.output().slice(-4000)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function mail(o: { from: string; subject: string; messageId: string; body: string }): string {
  return [
    `From: ${o.from}`,
    'To: InfraComfort Post <post@infracomfort.example>',
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${o.messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    o.body,
    '',
  ].join('\r\n');
}

/** A short message with nothing to go on: the classifier leaves it to staff (triage). */
// Evidence split between sales and support: triage. (A vague mail is a ticket since issue 16.)
function ambiguousMail(tag: string): string {
  return mail({ from: `Ola Hansen <ola.${tag}@nyttfirma.example>`, subject: 'Spørsmål', messageId: `e2e-triage-${tag}@nyttfirma.example`, body: 'Vi ønsker tilbud på nye paneler til kontoret. Og varmepumpa i kantina har feilkode E7 og blåser kaldt, kan dere sende en tekniker?\n\nOla' });
}

// ── Slack payloads, as Slack sends them ─────────────────────────────────────────────────────────

interface TaskRow {
  id: string;
  public_id: string;
  kind: string;
  record_ref: string | null;
  channel: string;
  state: string;
  version: number;
  slack_channel_id: string | null;
  slack_ts: string | null;
  assignee_name: string | null;
  decided_by: string | null;
}

function click(task: TaskRow, user: SlackTestUser, actionId: string) {
  const channel = task.slack_channel_id ?? task.channel;
  return blockActionsPayload({ publicId: task.public_id, version: Number(task.version), channel, channelName: 'support', messageTs: task.slack_ts ?? '0', user, actionId });
}

const submission = viewSubmissionPayload;

async function postToDaemon(daemon: DaemonProcess, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${daemon.httpPort}/slack/events`, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, text: await res.text() };
}

function interact(daemon: DaemonProcess, payload: unknown, opts: { secret?: string; timestamp?: number } = {}) {
  const r = slackInteractionRequest(payload, opts.secret ?? SIGNING_SECRET, opts.timestamp);
  return postToDaemon(daemon, r.body, r.headers);
}

const metaTaskId = (m: { metadata?: unknown }): string | undefined =>
  (m.metadata as { event_payload?: { task_id?: string } } | undefined)?.event_payload?.task_id;

const callText = (c: SlackCall) => JSON.stringify(c.body);
const hasButtons = (m: SlackMessage) => JSON.stringify(m.blocks ?? []).includes('"type":"actions"');

// ── peers shared by both halves ────────────────────────────────────────────────────────────────

beforeAll(async () => {
  [dovecot, smtp, fake] = await Promise.all([
    startDovecot({ users: [SLACK_INBOX, CLI_INBOX] }),
    startSmtpPeer(),
    // Real Slack ts values are wall-clock seconds; the deliverer's history lookup relies on it.
    startSlackFake({ tokens: [TOKEN], channels: Object.values(CHANNELS), tsBase: Math.floor(Date.now() / 1000) }),
  ]);
  proxy = await startSlackFaultProxy(fake.url);

  // The project's behaviour file, plus Slack channels/approvers and a faster outbox backoff.
  const base = (parseYaml(readFileSync(path.resolve('config/mailroom.yaml'), 'utf8')) ?? {}) as Record<string, any>;
  const behaviour = {
    ...base,
    outbox: { ...(base.outbox ?? {}), maxAttempts: 100, backoffBaseMs: 100, backoffMaxMs: 1000, pollIntervalMs: 100 },
    slack: {
      channels: CHANNELS,
      approvers: { 'new-ticket': [KARI.id, KARI.username], triage: [KARI.id, KARI.username] },
    },
  };
  configDir = mkdtempSync(path.join(tmpdir(), 'mailroom-slack-e2e-'));
  configFile = path.join(configDir, 'mailroom.yaml');
  writeFileSync(configFile, stringifyYaml(behaviour));
});

afterAll(async () => {
  await proxy?.stop();
  await fake?.stop();
  await smtp?.stop();
  await dovecot?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

async function parsedMails(filter: (m: ParsedMail) => boolean): Promise<ParsedMail[]> {
  const all = await Promise.all(smtp.messages.map((m) => simpleParser(m.raw)));
  return all.filter(filter);
}

const refsOf = (m: ParsedMail): string[] => (Array.isArray(m.references) ? m.references : m.references ? [m.references] : []);

// ── Slack on ───────────────────────────────────────────────────────────────────────────────────

describe('with Slack: the daemon, the Slack fake and signed interactions', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let daemon: DaemonProcess;
  const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlOf(db.orm.em.fork())<T>(text, params);
  const task = async (where: string, params: unknown[] = []) => (await q<TaskRow>(`select * from task where ${where} order by id desc limit 1`, params))[0];
  const slackSettled = async () => (await q(`select id from outbox_message where status in ('pending', 'sending')`)).length === 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedFixtureCompany(db.orm);
    env = daemonEnv({
      DATABASE_URL: db.url,
      SMTP_URL: smtp.url,
      ...dovecot.env(SLACK_INBOX.user),
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      // Through the fault proxy, which passes everything to the fake until told otherwise.
      SLACK_API_URL: proxy.url,
      MAILROOM_CONFIG: configFile,
    });
    daemon = await startDaemonProcess(env);
  });

  afterAll(async () => {
    await daemon?.stop();
    await db?.drop();
    if (env) cleanupDaemonEnv(env);
  });

  it('fixture 01 over IMAP → exactly one message in the support channel, with the ticket ID and none of the mail body', async () => {
    await dovecot.append(SLACK_INBOX.user, 'INBOX', fixture('01-support-nb.eml'));
    const t = await waitFor('the SUP-000001 task to be posted', () => task(`record_ref = 'SUP-000001' and kind = 'new-ticket' and slack_ts is not null`), 60_000, daemon);
    await waitFor('the outbox to settle', slackSettled, 30_000, daemon);

    const posts = fake.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    const post = posts[0]!;
    expect(post.token).toBe(TOKEN);
    expect(post.body.channel).toBe(CHANNELS.support);
    expect(String(post.body.text)).toContain('SUP-000001');
    expect(JSON.stringify(post.body.blocks)).toContain('SUP-000001');
    expect(post.body.metadata).toEqual({ event_type: 'mailroom_task', event_payload: { task_id: t.public_id } });
    // Privacy: the subject and the organisation, not the body, the sender's address or phone.
    const sent = callText(post);
    for (const secret of ['Ugyldig', 'Bergen-kontoret', 'snarest', '912 34 567', 'kari.nordmann@', 'Driftsleder']) expect(sent, secret).not.toContain(secret);

    const msgs = fake.messages(CHANNELS.support);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.ts).toBe(t.slack_ts);
    expect(t.slack_channel_id).toBe(CHANNELS.support);
    expect(JSON.stringify(msgs[0]!.blocks)).toContain(ACTION_IDS.reply);
  });

  it('a forged, unsigned or 6-minute-old click → 401 and nothing changes', async () => {
    const t = (await task(`record_ref = 'SUP-000001' and kind = 'new-ticket'`))!;
    const payload = click(t, KARI, ACTION_IDS.assign);
    const forged = await interact(daemon, payload, { secret: 'not-the-signing-secret-0000' });
    const stale = await interact(daemon, payload, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const unsigned = await postToDaemon(daemon, body, { 'content-type': 'application/x-www-form-urlencoded' });
    expect([forged.status, stale.status, unsigned.status]).toEqual([401, 401, 401]);
    const after = (await task(`id = ?`, [t.id]))!;
    expect(after).toMatchObject({ version: t.version, assignee_name: null, state: 'open' });
    expect(await q(`select action from task_audit where task_id = ? and actor_kind = 'slack'`, [t.id])).toHaveLength(0);
  });

  it('Reply: someone not on the allow-list gets "not allowed"; kari\'s modal → a threaded email at the SMTP peer, recorded on the ticket', async () => {
    const t = (await task(`record_ref = 'SUP-000001' and kind = 'new-ticket'`))!;

    // Eve is not an approver for new-ticket tasks: an ephemeral refusal, no modal.
    const viewsBefore = fake.callsTo('views.open').length;
    expect((await interact(daemon, click(t, EVE, ACTION_IDS.reply))).status).toBe(200);
    await waitFor('the ephemeral refusal', () => fake.ephemerals.find((e) => e.user === EVE.id), 15_000, daemon);
    expect(fake.ephemerals.find((e) => e.user === EVE.id)!.text).toMatch(/not allowed/);
    expect(fake.callsTo('views.open')).toHaveLength(viewsBefore);

    const res = await interact(daemon, click(t, KARI, ACTION_IDS.reply));
    expect(res.status).toBe(200);
    const open = await waitFor('views.open', () => fake.callsTo('views.open')[viewsBefore], 15_000, daemon);
    const view = open.response.view as { id: string; callback_id: string; private_metadata: string; hash: string };
    expect(view.callback_id).toBe(VIEW_IDS.reply);
    expect(JSON.parse(view.private_metadata)).toEqual({ t: t.public_id, v: Number(t.version) });

    const text = 'Hei Kari,\n\nVi har nullstilt øktene i portalen. Prøv å logge inn igjen nå. [e2e-reply-1]';
    const submitted = await interact(daemon, submission(view, KARI, { [INPUT_IDS.replyText]: text }));
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe('');
    // Slack retries a submission it did not see answered: the same view never sends twice.
    expect((await interact(daemon, submission(view, KARI, { [INPUT_IDS.replyText]: text }))).status).toBe(200);

    const [reply] = await waitFor('the reply at the SMTP peer', async () => {
      const found = await parsedMails((m) => (m.text ?? '').includes('[e2e-reply-1]'));
      return found.length ? found : null;
    }, 30_000, daemon);
    expect(reply!.to && 'value' in reply!.to ? reply!.to.value.map((a) => a.address) : []).toEqual(['kari.nordmann@fjordvarme.example']);
    expect(reply!.subject).toContain('[SUP-000001]');
    expect(reply!.subject).toMatch(/^Re: /);
    expect(reply!.inReplyTo).toBe('<fixture-01@mail.customer.example>');
    expect(refsOf(reply!)).toContain('<fixture-01@mail.customer.example>');
    expect(readThreadToken(reply!.messageId, MAILROOM_SECRET)).toEqual({ ticketRef: 'SUP-000001' });
    expect(reply!.text).toContain('kari');

    const out = await q(`select message_id, outbox_id, author, body_new from record_message where record_ref = 'SUP-000001' and direction = 'out' and body_new like '%e2e-reply-1%'`);
    expect(out).toHaveLength(1);
    expect(out[0]!.author).toBe('kari');
    expect(out[0]!.outbox_id).toBeTruthy();
    expect(String(out[0]!.message_id).replace(/^<|>$/g, '')).toBe(reply!.messageId!.replace(/^<|>$/g, ''));

    // The Slack message says who replied; the task stays open.
    const updated = await waitFor('the chat.update after the reply', () =>
      fake.callsTo('chat.update').find((c) => c.body.ts === t.slack_ts && JSON.stringify(c.body.blocks).includes('Replied by kari')), 15_000, daemon);
    expect(updated.status).toBe(200);
    await waitFor('the outbox to settle', slackSettled, 30_000, daemon);
    expect((await parsedMails((m) => (m.text ?? '').includes('[e2e-reply-1]'))).length).toBe(1);
    expect((await task(`id = ?`, [t.id]))!.state).toBe('open');
    const audit = await q<{ action: string; actor_name: string }>(`select action, actor_name from task_audit where task_id = ? and action = 'replied'`, [t.id]);
    expect(audit).toEqual([{ action: 'replied', actor_name: 'kari' }]);
  });

  it('a triage item, reclassified to sales with its signed button → a lead for that message, and the triage message shows who did it', async () => {
    await dovecot.append(SLACK_INBOX.user, 'INBOX', ambiguousMail('slack'));
    const t = await waitFor('the triage task to be posted', () => task(`kind = 'triage' and slack_ts is not null`), 60_000, daemon);
    expect(t.slack_channel_id).toBe(CHANNELS.triage);
    const triageMsg = fake.messages(CHANNELS.triage).find((m) => m.ts === t.slack_ts)!;
    // Every route staff can choose, privacy included (it opens a privacy case).
    for (const r of ['support', 'sales', 'privacy', 'spam']) expect(JSON.stringify(triageMsg.blocks)).toContain(ACTION_IDS.routePrefix + r);
    expect(JSON.stringify(triageMsg)).not.toContain('ringe meg');

    // Not on the allow-list: nothing happens.
    expect((await interact(daemon, click(t, EVE, ACTION_IDS.routePrefix + 'sales'))).status).toBe(200);
    await waitFor('the ephemeral refusal', () => fake.ephemerals.filter((e) => e.user === EVE.id).length >= 2, 15_000, daemon);
    expect((await task(`id = ?`, [t.id]))!.state).toBe('open');

    expect((await interact(daemon, click(t, KARI, ACTION_IDS.routePrefix + 'sales'))).status).toBe(200);
    const [msg] = await q(`select id, outcome, record_ref from inbound_message where message_id like '%e2e-triage-slack@nyttfirma.example%'`);
    expect(msg).toBeTruthy();
    const filed = await waitFor('the lead', async () => {
      const [m] = await q(`select outcome, record_ref from inbound_message where id = ?`, [msg!.id]);
      return m?.outcome === 'lead' ? m : null;
    }, 15_000, daemon);
    expect(filed.record_ref).toMatch(/^LEAD-\d{6}$/);
    const [lead] = await q(`select l.ref, c.email from lead l join contact c on c.id = l.contact_id where l.ref = ?`, [filed.record_ref]);
    expect(lead).toMatchObject({ ref: filed.record_ref, email: 'ola.slack@nyttfirma.example' });
    expect((await q(`select state, resolution, resolved_by, record_ref from triage_item where inbound_message_id = ?`, [msg!.id]))[0]).toMatchObject({
      state: 'resolved',
      resolution: 'sales',
      resolved_by: 'kari',
      record_ref: filed.record_ref,
    });

    // The decided triage message: "Sent to sales by kari", no buttons; the lead is posted in sales.
    expect((await task(`id = ?`, [t.id]))).toMatchObject({ state: 'done', decided_by: 'kari' });
    await waitFor('the triage message to be updated', () => {
      const m = fake.messages(CHANNELS.triage).find((x) => x.ts === t.slack_ts);
      return m && !hasButtons(m) && JSON.stringify(m.blocks).includes('Sent to sales') ? m : null;
    }, 15_000, daemon);
    const leadTask = await waitFor('the new-lead task to be posted', () => task(`kind = 'new-lead' and record_ref = ? and slack_ts is not null`, [filed.record_ref]), 15_000, daemon);
    expect(leadTask.slack_channel_id).toBe(CHANNELS.sales);
    expect(fake.messages(CHANNELS.sales).filter((m) => metaTaskId(m) === leadTask.public_id)).toHaveLength(1);
  });

  it('fixture 03 (privacy access request) → a privacy case task in the privacy channel, never the support one, with no personal data', async () => {
    await dovecot.append(SLACK_INBOX.user, 'INBOX', fixture('03-privacy-access-nb.eml'));
    const t = await waitFor('the privacy case task to be posted', () => task(`kind = 'privacy-case' and channel = ? and slack_ts is not null`, [CHANNELS.privacy]), 60_000, daemon);
    expect(t.record_ref).toMatch(/^PRV-\d{6}$/);
    const m = fake.messages(CHANNELS.privacy).find((x) => x.ts === t.slack_ts)!;
    expect(m).toBeTruthy();
    const shown = JSON.stringify(m);
    // Neither who asked nor what the mail says: the case ID, the right and the due date only.
    for (const secret of ['Kari', 'Nordmann', 'fjordvarme', 'artikkel 15', 'kontaktperson', 'personopplysninger']) expect(shown, secret).not.toContain(secret);
    expect(fake.messages(CHANNELS.support).filter((x) => metaTaskId(x) === t.public_id)).toHaveLength(0);
  });

  it(`Slack answers 500 for ${OUTAGE_MS / 1000} s, then 429 with Retry-After: 1, then recovers → every task posted exactly once, in order per record`, async () => {
    const [{ max: watermark }] = await q<{ max: string | null }>(`select coalesce(max(id), 0) as max from task`);
    const ticketsBefore = Number((await q(`select count(*) as n from ticket`))[0]!.n);
    const outageStart = Date.now();
    proxy.set('chat.postMessage', { status: 500 });

    // Mail keeps arriving during the outage: three tickets and a lead.
    await dovecot.append(SLACK_INBOX.user, 'INBOX', fixture('08-latin1-nb.eml'));
    await dovecot.append(SLACK_INBOX.user, 'INBOX', fixture('09-html-inline-image-en.eml'));
    await dovecot.append(SLACK_INBOX.user, 'INBOX', fixture('02-quote-request-en.eml'));
    await dovecot.append(SLACK_INBOX.user, 'INBOX', mail({ from: 'Tom Jensen <tom.jensen@havnehuset.example>', subject: 'Varmepumpen i kjelleren virker ikke', messageId: 'e2e-outage-1@havnehuset.example', body: 'Hei,\n\nVarmepumpen i kjelleren har feilkode E4 og virker ikke. Kan dere sende en tekniker?\n\nTom' }));
    const filed = await waitFor('four new tasks', async () => {
      const rows = await q<TaskRow>(`select * from task where id > ? order by id`, [watermark]);
      return rows.length >= 4 ? rows : null;
    }, 60_000, daemon);
    expect(Number((await q(`select count(*) as n from ticket`))[0]!.n)).toBe(ticketsBefore + 3);

    // A second task on a record that is still waiting for its first post, and an action on a
    // task before its message exists (the CLI path): the update has to wait for the post.
    const first = filed.find((t) => t.kind === 'new-ticket')!;
    const reminder = await db.orm.em.fork().transactional((em) =>
      createTask(em, { kind: 'deadline-reminder', recordRef: first.record_ref, title: `Answer ${first.record_ref}`, channelKey: 'support', details: { dueDate: '2026-11-09' }, dedupeKey: `e2e-reminder:${first.record_ref}` }, { channels: CHANNELS }),
    );
    const assigned = filed.filter((t) => t.kind === 'new-ticket')[1]!;
    const decided = await decideTask(db.orm.em.fork(), { publicId: assigned.public_id, decision: 'assign', actor: { kind: 'cli', id: 'kari', name: 'kari' } }, { approvers: { 'new-ticket': ['kari'] } });
    expect(decided.ok).toBe(true);

    await waitFor('every post refused with 500 at least once', () => {
      const refused = new Set(proxy.faulted.filter((c) => c.outcome === 500).map((c) => c.taskPublicId));
      // (The reminder is not in this list: it waits for its record's first post before trying.)
      return filed.every((t) => refused.has(t.public_id));
    }, OUTAGE_MS + 30_000, daemon);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
    expect(fake.messages().filter((m) => [...filed.map((t) => t.public_id), reminder.publicId].includes(metaTaskId(m)!))).toHaveLength(0);

    // Rate limited: 429 with Retry-After: 1 until it has been answered a few times.
    const rateLimitedFrom = proxy.calls.length;
    proxy.set('chat.postMessage', { status: 429, retryAfter: 1 });
    await waitFor('429 answers', () => proxy.calls.slice(rateLimitedFrom).filter((c) => c.outcome === 429).length >= 3, 30_000, daemon);
    await sleep(1500);
    // Recovery; the first post after it lands but its answer is lost (500): the retry must find
    // the message in the channel history and adopt it, not post a second one.
    fake.failNext('chat.postMessage', 1, { status: 500, applied: true });
    proxy.set('chat.postMessage', null);

    const all = [...filed.map((t) => t.public_id), reminder.publicId];
    await waitFor('every task posted', async () => {
      const rows = await q<TaskRow>(`select * from task where id > ? and slack_ts is null`, [watermark]);
      return rows.length === 0 && (await slackSettled());
    }, 60_000, daemon);

    const failed = await q(`select id, last_error from outbox_message where status = 'failed'`);
    expect(failed).toEqual([]);
    const tasks = await q<TaskRow>(`select * from task where id > ? order by id`, [watermark]);
    expect(tasks.map((t) => t.public_id).sort()).toEqual([...all].sort());
    const messages = fake.messages();
    for (const t of tasks) {
      const mine = messages.filter((m) => metaTaskId(m) === t.public_id);
      expect(mine, `${t.public_id} posted exactly once`).toHaveLength(1);
      expect(mine[0]!.ts).toBe(t.slack_ts);
      expect(mine[0]!.channel).toBe(t.slack_channel_id);
    }
    expect(fake.callsTo('chat.postMessage').filter((c) => c.status !== 200).length).toBe(1);
    expect((await q(`select count(*) as n from task_audit where action = 'posted' and (detail->>'reconciled')::boolean`))[0]!.n).toBe('1');

    // In order per record: the ticket's new-ticket message before its reminder.
    const byRecord = new Map<string, TaskRow[]>();
    for (const t of tasks) if (t.record_ref) byRecord.set(t.record_ref, [...(byRecord.get(t.record_ref) ?? []), t]);
    expect(byRecord.get(first.record_ref!)!.map((t) => t.kind)).toEqual(['new-ticket', 'deadline-reminder']);
    const tsKey = (ts: string) => Number(ts.replace('.', ''));
    for (const [ref, list] of byRecord) {
      const order = list.map((t) => tsKey(t.slack_ts!));
      expect(order, `posts of ${ref} in creation order`).toEqual([...order].sort((a, b) => a - b));
    }

    // The assignment made during the outage: chat.update after the post, showing kari.
    const a = tasks.find((t) => t.id === assigned.id)!;
    const upd = await waitFor('the assignment update', () => fake.callsTo('chat.update').find((c) => c.body.ts === a.slack_ts), 15_000, daemon);
    // The post that landed is the task's last post attempt (its answer may be the one lost on
    // purpose, so the HTTP status says nothing).
    const postedAt = fake.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.body).includes(a.public_id)).at(-1)!.time;
    expect(upd.time.getTime()).toBeGreaterThanOrEqual(postedAt.getTime());
    expect(JSON.stringify(fake.messages().find((m) => m.ts === a.slack_ts)!.blocks)).toContain('kari');

    // Retry-After honoured: after a 429, that task's post is not tried again for a second.
    const rateLimited = proxy.calls.filter((c) => c.outcome === 429 && c.taskPublicId);
    expect(rateLimited.length).toBeGreaterThan(0);
    let checked = 0;
    for (const r of rateLimited) {
      const next = proxy.calls.find((c) => c.method === 'chat.postMessage' && c.taskPublicId === r.taskPublicId && c.at > r.at);
      if (!next) continue;
      checked++;
      expect(next.at - r.at, `${r.taskPublicId} retried after Retry-After`).toBeGreaterThanOrEqual(950);
    }
    expect(checked).toBeGreaterThan(0);
  });
});

// ── Slack off: the CLI ─────────────────────────────────────────────────────────────────────────

describe('without Slack: the same flows through the CLI', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let daemon: DaemonProcess;
  const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlOf(db.orm.em.fork())<T>(text, params);

  function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['bin/mailroom.js', ...args],
        { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, out: String(stdout), err: String(stderr) }),
      );
    });
  }

  async function listJson(...filters: string[]): Promise<Record<string, any>[]> {
    const r = await cli('tasks', 'list', '--json', ...filters);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as Record<string, any>[];
  }

  let slackCallsBefore = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedFixtureCompany(db.orm);
    env = daemonEnv({
      DATABASE_URL: db.url,
      SMTP_URL: smtp.url,
      ...dovecot.env(CLI_INBOX.user),
      MAILROOM_CONFIG: configFile,
      // Empty counts as unset: Slack off, whatever the test runner's environment says.
      SLACK_BOT_TOKEN: '',
      SLACK_SIGNING_SECRET: '',
      SLACK_APP_TOKEN: '',
      SLACK_API_URL: '',
    });
    slackCallsBefore = fake.calls.length;
    daemon = await startDaemonProcess(env);
  });

  afterAll(async () => {
    await daemon?.stop();
    await db?.drop();
    if (env) cleanupDaemonEnv(env);
  });

  it('fixture 01 → `tasks list --json` shows the new-ticket task; `tasks reply` → a threaded email at the SMTP peer', async () => {
    await dovecot.append(CLI_INBOX.user, 'INBOX', fixture('01-support-nb.eml'));
    await waitFor('the SUP-000001 task', async () => (await q(`select id from task where record_ref = 'SUP-000001'`))[0], 60_000, daemon);

    const list = await listJson();
    const t = list.find((x) => x.record === 'SUP-000001');
    expect(t).toMatchObject({ kind: 'new-ticket', state: 'open', channel: CHANNELS.support, slackTs: null });
    expect(t!.id).toMatch(/^T-\d{6}$/);

    const text = 'Hei Kari,\n\nØktene er nullstilt; prøv igjen. [e2e-cli-reply-1]';
    const r = await cli('tasks', 'reply', t!.id, '--as', 'kari', '--text', text, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ id: t!.id, state: 'open' });

    const [reply] = await waitFor('the CLI reply at the SMTP peer', async () => {
      const found = await parsedMails((m) => (m.text ?? '').includes('[e2e-cli-reply-1]'));
      return found.length ? found : null;
    }, 30_000, daemon);
    expect(reply!.subject).toContain('[SUP-000001]');
    expect(reply!.inReplyTo).toBe('<fixture-01@mail.customer.example>');
    expect(refsOf(reply!)).toContain('<fixture-01@mail.customer.example>');
    expect(readThreadToken(reply!.messageId, MAILROOM_SECRET)).toEqual({ ticketRef: 'SUP-000001' });
    const out = await q(`select author from record_message where record_ref = 'SUP-000001' and direction = 'out' and body_new like '%e2e-cli-reply-1%'`);
    expect(out).toEqual([{ author: 'kari' }]);

    // The allow-list holds on the CLI too.
    const eve = await cli('tasks', 'reply', t!.id, '--as', 'eve', '--text', 'no');
    expect(eve.code).toBe(1);
    expect(eve.err).toMatch(/not allowed/);
  });

  it('a triage item → `tasks reclassify <id> sales --as kari` → a lead for that message', async () => {
    await dovecot.append(CLI_INBOX.user, 'INBOX', ambiguousMail('cli'));
    await waitFor('the triage task', async () => (await q(`select id from task where kind = 'triage'`))[0], 60_000, daemon);
    const [triage] = await listJson('--kind', 'triage', '--state', 'open');
    expect(triage).toMatchObject({ kind: 'triage', state: 'open', channel: CHANNELS.triage });

    const r = await cli('tasks', 'reclassify', triage!.id, 'sales', '--as', 'kari', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ id: triage!.id, state: 'done', decidedBy: 'kari' });

    const [m] = await q(`select outcome, record_ref from inbound_message where message_id like '%e2e-triage-cli@nyttfirma.example%'`);
    expect(m).toMatchObject({ outcome: 'lead' });
    expect(m!.record_ref).toMatch(/^LEAD-\d{6}$/);
    expect(await q(`select ref from lead where ref = ?`, [m!.record_ref])).toHaveLength(1);
    const leads = await listJson('--kind', 'new-lead');
    expect(leads.map((l) => l.record)).toContain(m!.record_ref);

    // Slack off means no Slack outbox rows and no calls to Slack at all.
    expect(await q(`select id from outbox_message where channel = 'slack'`)).toEqual([]);
    expect(fake.calls.length).toBe(slackCallsBefore);
  });
});
