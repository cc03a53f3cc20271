import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { BOT, signSlackRequest, slackInteractionRequest, startSlackFake, type SlackFake } from '../support/slack-fake.ts';
import { blockActionsPayload, viewSubmissionPayload, type SlackTestUser } from '../support/slack-payloads.ts';
import { makeDispatcher, until } from '../support/outbox-helpers.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { HttpServer } from '../../src/http/http-server.ts';
import { enqueue } from '../../src/outbox/enqueue-store.ts';
import type { OutboxDispatcher } from '../../src/outbox/dispatcher.ts';
import { Migration20261126000004_tasks } from '../../src/db/migrations/Migration20261126000004_tasks.ts';
import { SlackDeliverer } from '../../src/slack/slack-deliverer.ts';
import { createSlackApp, type SlackApp } from '../../src/slack/slack-app.ts';
import { ACTION_IDS, INPUT_IDS, VIEW_IDS } from '../../src/slack/block-kit.ts';
import { ActionRegistry } from '../../src/tasks/action-registry.ts';
import { slackApproversSchema } from '../../src/tasks/approvers.ts';
import { createTask, decideTask, findTask, taskAudit, type CreateTaskInput } from '../../src/tasks/task-service.ts';
import type { Orm } from '../../src/db/orm.ts';
import type { TaskRecord } from '../../src/tasks/task-types.ts';

const TOKEN = 'xoxb-test-token';
const SECRET = 'test-signing-secret-0123456789';
const CHANNELS = { support: 'C0SUPPORT', sales: 'C0SALES', triage: 'C0TRIAGE', privacy: 'C0PRIVACY', alerts: 'C0ALERTS' };
const KARI = { id: 'U0KARI', username: 'kari' };
const OLA = { id: 'U0OLA', username: 'ola' };
const EVE = { id: 'U0EVE', username: 'eve' };
const approvers = slackApproversSchema.parse({ 'data-export': ['U0KARI', 'U0OLA', 'per'], erasure: ['U0KARI'] });

/** Until the lead lists migration 0004 in src/db/migrations/index.ts, apply it here. */
async function applyTaskMigration(orm: Orm): Promise<void> {
  const conn = orm.em.fork().getConnection();
  const [r] = await conn.execute<{ t: string | null }[]>(`select to_regclass('task')::text as t`);
  if (r?.t) return;
  const m = new Migration20261126000004_tasks(orm.em.getDriver() as never, orm.config as never);
  await m.up();
  for (const q of m.getQueries()) await conn.execute(String(q));
}

let db: TestDatabase;
let slack: SlackFake;
let http: HttpServer;
let base: string;
let slackApp: SlackApp;
let deliverer: SlackDeliverer;
let dispatcher: OutboxDispatcher;
const ran: { kind: string; task: string; actor: string }[] = [];
const replies: { task: string; actor: string; text: string }[] = [];
const routed: { task: string; route: string }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await applyTaskMigration(db.orm);
  // Real Slack timestamps are wall-clock seconds; the history lookup relies on that.
  slack = await startSlackFake({ tokens: [TOKEN], tsBase: Math.floor(Date.now() / 1000) });
  http = new HttpServer({ port: 0, host: '127.0.0.1', log: silentLogger, readiness: [], metricsText: async () => ({ contentType: 'text/plain', body: '' }) });
  const actions = new ActionRegistry().register('data-export', async (em, task, actor) => {
    ran.push({ kind: 'data-export', task: task.publicId, actor: actor.name });
    // The approved action's own side effect commits with the approval.
    await enqueue(em, 'email', { to: ['x@example.com'], subject: `export ${task.recordRef}` }, { dedupeKey: `export:${task.id}` });
  });
  slackApp = createSlackApp({
    orm: db.orm,
    botToken: TOKEN,
    signingSecret: SECRET,
    apiUrl: slack.url,
    approvers,
    actions,
    route: (m, p, h) => http.route(m, p, h),
    log: silentLogger,
    callbacks: {
      onReply: async (em, task, actor, text) => {
        replies.push({ task: task.publicId, actor: actor.name, text });
        await enqueue(em, 'email', { to: ['customer@example.com'], subject: `Re: ${task.recordRef}`, text }, { dedupeKey: `reply:${task.id}:${replies.length}` });
      },
      onReclassify: async (_em, task, _actor, route) => {
        routed.push({ task: task.publicId, route });
      },
      describeRecord: async (id) => (id === 'SUP-000001' ? '*SUP-000001* open, assigned to kari' : null),
    },
  });
  await slackApp.start();
  base = `http://127.0.0.1:${await http.listen()}`;
  deliverer = new SlackDeliverer({ orm: db.orm, token: TOKEN, apiUrl: slack.url, log: silentLogger, timeoutMs: 3000, waitRetryMs: 50 });
  dispatcher = makeDispatcher(db.orm, { deliverers: { slack: deliverer }, workerId: 'mailroom-test:slack', maxAttempts: 8 });
});

afterAll(async () => {
  await slackApp?.stop();
  await http?.close();
  await slack?.stop();
  await db?.drop();
});

beforeEach(async () => {
  slack.reset();
  ran.length = 0;
  replies.length = 0;
  routed.length = 0;
  await db.orm.em.fork().getConnection().execute('delete from outbox_message');
});

const em = () => db.orm.em.fork();

async function newTask(input: Partial<CreateTaskInput> = {}): Promise<TaskRecord> {
  return em().transactional((tx: EntityManager) =>
    createTask(
      tx,
      { kind: 'new-ticket', recordRef: 'SUP-000001', title: 'Heat pump down', summary: 'Heat pump in building B reports E4.', channelKey: 'support', details: { subject: 'Heat pump down', requesterOrg: 'Nordbygg AS' }, ...input },
      { channels: CHANNELS },
    ),
  );
}

async function approval(recordRef = 'PRV-000009'): Promise<TaskRecord> {
  return newTask({ kind: 'approval', recordRef, title: 'Send data export for PRV-000009', summary: null, channelKey: 'privacy', actionKind: 'data-export', actionPayload: { caseId: recordRef } });
}

async function slackRows(status?: string): Promise<{ id: string; status: string; attempts: number; payload: any }[]> {
  return em().getConnection().execute(`select id, status, attempts, payload from outbox_message where channel = 'slack' and (?::text is null or status = ?) order by id`, [status ?? null, status ?? null]);
}

/** Runs the dispatcher until no Slack row is pending or sending. */
async function deliverAll(): Promise<void> {
  await until(async () => {
    await dispatcher.runOnce();
    return (await slackRows()).every((r) => r.status === 'sent' || r.status === 'failed');
  }, { everyMs: 30 });
}

async function postJson(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(base + path, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
}

function click(task: TaskRecord, user: SlackTestUser, actionId: string, version = task.version) {
  const channel = task.slackChannelId ?? task.channel;
  return blockActionsPayload({ publicId: task.publicId, version, channel, channelName: 'privacy', messageTs: task.slackTs ?? '1700000000.000100', user, actionId });
}

function submission(callbackId: string, meta: { t: string; v: number }, user: SlackTestUser, values: Record<string, string>, viewId = 'V00000001') {
  return viewSubmissionPayload({ id: viewId, callback_id: callbackId, private_metadata: JSON.stringify(meta) }, user, values);
}

async function interact(payload: unknown, secret = SECRET, timestamp?: number) {
  const r = slackInteractionRequest(payload, secret, timestamp);
  return postJson('/slack/events', r.body, r.headers);
}

async function posted(task: TaskRecord): Promise<TaskRecord> {
  await deliverAll();
  return (await findTask(em(), { taskId: task.id }))!;
}

describe('posting tasks through the outbox', () => {
  it('one task → exactly one chat.postMessage with task metadata, and the ts stored', async () => {
    const t = await posted(await newTask());
    const calls = slack.callsTo('chat.postMessage');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body.channel).toBe('C0SUPPORT');
    expect(calls[0]!.body.metadata).toEqual({ event_type: 'mailroom_task', event_payload: { task_id: t.publicId } });
    expect(slack.messages('C0SUPPORT')).toHaveLength(1);
    expect(t.slackTs).toBe(slack.messages('C0SUPPORT')[0]!.ts);
    expect(t.slackChannelId).toBe('C0SUPPORT');
    expect((await taskAudit(em(), t.id)).map((a) => a.action)).toEqual(['created', 'posted']);
  });

  it('a handler that runs twice creates one task and one post (dedupe key)', async () => {
    const a = await newTask({ dedupeKey: 'ticket:SUP-000050' , recordRef: 'SUP-000050' });
    const b = await newTask({ dedupeKey: 'ticket:SUP-000050', recordRef: 'SUP-000050' });
    expect(b.id).toBe(a.id);
    await deliverAll();
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('429 with Retry-After, then success → one message, retried no sooner than asked', async () => {
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfter: 1 });
    const t = await posted(await newTask({ recordRef: 'SUP-000002' }));
    const calls = slack.callsTo('chat.postMessage');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.time.getTime() - calls[0]!.time.getTime()).toBeGreaterThanOrEqual(900);
    expect(slack.messages()).toHaveLength(1);
    expect(t.slackTs).toBe(slack.messages()[0]!.ts);
  });

  it('500 then success → one message', async () => {
    slack.failNext('chat.postMessage', 2, { status: 500 });
    const t = await posted(await newTask({ recordRef: 'SUP-000003' }));
    expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([500, 500, 200]);
    expect(slack.messages()).toHaveLength(1);
    expect(t.slackTs).toBe(slack.messages()[0]!.ts);
  });

  it('a post that landed but whose answer was lost is reconciled from the history, not posted twice', async () => {
    slack.failNext('chat.postMessage', 1, { status: 500, applied: true });
    const t = await posted(await newTask({ recordRef: 'SUP-000004' }));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(slack.callsTo('conversations.history')).toHaveLength(1);
    expect(slack.messages()).toHaveLength(1);
    expect(t.slackTs).toBe(slack.messages()[0]!.ts);
    const audit = await taskAudit(em(), t.id);
    expect(audit.at(-1)).toMatchObject({ action: 'posted', detail: { reconciled: true } });
  });

  it('an in-doubt post row (its dispatcher died after Slack took it) is adopted, not posted again', async () => {
    const t = await posted(await newTask({ recordRef: 'SUP-000005' }));
    expect(slack.messages()).toHaveLength(1);
    // What a dispatcher killed between Slack's answer and the database write leaves behind.
    const c = em().getConnection();
    await c.execute(`update task set slack_ts = null, slack_channel_id = null where id = ?`, [t.id]);
    await c.execute(`update outbox_message set status = 'pending', in_doubt = true, attempts = 1 where dedupe_key = ?`, [`task:${t.id}:post`]);
    const again = await posted(t);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(slack.messages()).toHaveLength(1);
    expect(again.slackTs).toBe(t.slackTs);
  });

  it('500s, then 429, then recovery → every task posted once, in order per record', async () => {
    slack.failNext('chat.postMessage', 3, { status: 500 });
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfter: 1 });
    const first = await newTask({ recordRef: 'SUP-000006', title: 'first' });
    const second = await approval('SUP-000006');
    const other = await newTask({ recordRef: 'SUP-000007', title: 'other record' });
    await deliverAll();
    expect((await slackRows()).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    const msgs = slack.messages();
    expect(msgs).toHaveLength(3);
    const order = msgs.map((m) => (m.metadata as any).event_payload.task_id);
    expect(new Set(order)).toEqual(new Set([first.publicId, second.publicId, other.publicId]));
    expect(order.indexOf(first.publicId)).toBeLessThan(order.indexOf(second.publicId));
  });

  it('invalid_auth is permanent: the row fails at once with the reason', async () => {
    slack.failNext('chat.postMessage', 1, { error: 'invalid_auth' });
    await newTask({ recordRef: 'SUP-000008' });
    await deliverAll();
    const rows = await em().getConnection().execute(`select status, attempts, last_error from outbox_message`);
    expect(rows[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(rows[0].last_error).toContain('invalid_auth');
  });
});

describe('Slack interactions', () => {
  it('refuses forged, unsigned and stale requests with 401 and changes nothing', async () => {
    const t = await posted(await approval('PRV-000010'));
    const p = click(t, KARI, ACTION_IDS.approve);
    expect((await interact(p, 'wrong-secret')).status).toBe(401);
    const body = new URLSearchParams({ payload: JSON.stringify(p) }).toString();
    expect((await postJson('/slack/events', body, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(401);
    expect((await interact(p, SECRET, Date.now() / 1000 - 6 * 60)).status).toBe(401);
    // Signed, then tampered with.
    const signed = slackInteractionRequest(p, SECRET);
    const tampered = signed.body.replace('U0KARI', 'U0EVIL');
    expect((await postJson('/slack/events', tampered, signed.headers)).status).toBe(401);
    const now = (await findTask(em(), { taskId: t.id }))!;
    expect(now).toMatchObject({ state: 'open', version: 1 });
    expect(ran).toEqual([]);
    expect(await slackRows('pending')).toEqual([]);
    expect((await taskAudit(em(), t.id)).map((a) => a.action)).toEqual(['created', 'posted']);
  });

  it('answers url_verification', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' });
    const r = await postJson('/slack/events', body, { 'content-type': 'application/json', ...signSlackRequest(body, SECRET) });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ challenge: 'abc123' });
  });

  it('Approve by an allowed user: state, audit, the action once, and the message updated with its buttons gone', async () => {
    const t = await posted(await approval('PRV-000011'));
    const r = await interact(click(t, KARI, ACTION_IDS.approve));
    expect(r.status).toBe(200);
    const now = (await findTask(em(), { taskId: t.id }))!;
    expect(now).toMatchObject({ state: 'approved', decidedBy: 'kari', decidedById: 'U0KARI', version: 2 });
    expect(ran).toEqual([{ kind: 'data-export', task: t.publicId, actor: 'kari' }]);
    const audit = await taskAudit(em(), t.id);
    expect(audit.at(-1)).toMatchObject({ action: 'approved', actorKind: 'slack', actorId: 'U0KARI', actorName: 'kari' });
    const emails = await em().getConnection().execute(`select count(*)::int as n from outbox_message where channel = 'email'`);
    expect(emails[0].n).toBe(1);
    await deliverAll();
    const updates = slack.callsTo('chat.update');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body.ts).toBe(t.slackTs);
    const msg = slack.messages('C0PRIVACY').find((m) => m.ts === t.slackTs)!;
    expect((msg.blocks as any[]).some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(msg.blocks)).toContain('Approved* by kari');
  });

  it('a double click and two users at once give exactly one decision; the others hear "already decided"', async () => {
    const t = await posted(await approval('PRV-000012'));
    const results = await Promise.all([
      interact(click(t, KARI, ACTION_IDS.approve)),
      interact(click(t, KARI, ACTION_IDS.approve)),
      interact(click(t, OLA, ACTION_IDS.approve)),
      interact(click(t, OLA, ACTION_IDS.approve)),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(ran).toHaveLength(1);
    const audit = await taskAudit(em(), t.id);
    expect(audit.filter((a) => a.action === 'approved')).toHaveLength(1);
    const now = (await findTask(em(), { taskId: t.id }))!;
    expect(now.version).toBe(2);
    const emails = await em().getConnection().execute(`select count(*)::int as n from outbox_message where channel = 'email'`);
    expect(emails[0].n).toBe(1);
    expect(await slackRows('pending')).toHaveLength(1);
    await until(() => slack.ephemerals.length === 3);
    for (const e of slack.ephemerals) expect(e.text).toMatch(/already decided by (kari|ola)/);
  });

  it('a user not on the allow-list gets an ephemeral "not allowed" and nothing changes', async () => {
    const t = await posted(await approval('PRV-000013'));
    expect((await interact(click(t, EVE, ACTION_IDS.approve))).status).toBe(200);
    expect((await interact(click(t, EVE, ACTION_IDS.reject))).status).toBe(200);
    await until(() => slack.ephemerals.length === 2);
    expect(slack.ephemerals.every((e) => e.user === 'U0EVE' && /not allowed/.test(e.text ?? ''))).toBe(true);
    expect(slack.callsTo('views.open')).toHaveLength(0);
    expect((await findTask(em(), { taskId: t.id }))!).toMatchObject({ state: 'open', version: 1 });
    expect(ran).toEqual([]);
    expect((await taskAudit(em(), t.id)).map((a) => a.action)).toEqual(['created', 'posted']);
    expect(await slackRows('pending')).toEqual([]);
  });

  it('Reject opens a modal; its submission records the reason and updates the message', async () => {
    const t = await posted(await approval('PRV-000014'));
    await interact(click(t, KARI, ACTION_IDS.reject));
    // The modal opens right after the ack (the trigger id is valid for 3 s).
    await until(() => slack.callsTo('views.open').length === 1);
    const open = slack.callsTo('views.open');
    const view = open[0]!.body.view as any;
    expect(view.callback_id).toBe(VIEW_IDS.reject);
    expect((await findTask(em(), { taskId: t.id }))!.state).toBe('open');
    const r = await interact(submission(VIEW_IDS.reject, JSON.parse(view.private_metadata), KARI, { [INPUT_IDS.reason]: 'Identity not verified yet' }));
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    const now = (await findTask(em(), { taskId: t.id }))!;
    expect(now).toMatchObject({ state: 'rejected', reason: 'Identity not verified yet', decidedBy: 'kari' });
    expect((await taskAudit(em(), t.id)).at(-1)).toMatchObject({ action: 'rejected', detail: { reason: 'Identity not verified yet' } });
    expect(ran).toEqual([]);
    await deliverAll();
    const msg = slack.messages('C0PRIVACY').find((m) => m.ts === t.slackTs)!;
    expect(JSON.stringify(msg.blocks)).toContain('Identity not verified yet');
    expect((msg.blocks as any[]).some((b) => b.type === 'actions')).toBe(false);
    // A second submission (another open modal) is refused inside the modal.
    const again = await interact(submission(VIEW_IDS.reject, JSON.parse(view.private_metadata), KARI, { [INPUT_IDS.reason]: 'again' }, 'V00000002'));
    expect(JSON.parse(again.text)).toMatchObject({ response_action: 'errors' });
  });

  it('Assign to me, then Reply → modal → onReply in the same transaction, audited; Close ends it', async () => {
    const t = await posted(await newTask({ recordRef: 'SUP-000020' }));
    await interact(click(t, OLA, ACTION_IDS.assign));
    const assigned = (await findTask(em(), { taskId: t.id }))!;
    expect(assigned).toMatchObject({ state: 'open', assigneeName: 'ola', assigneeSlackId: 'U0OLA', version: 2 });
    await interact(click(assigned, OLA, ACTION_IDS.reply));
    await until(() => slack.callsTo('views.open').length === 1);
    const view = slack.callsTo('views.open')[0]!.body.view as any;
    expect(view.callback_id).toBe(VIEW_IDS.reply);
    const sub = submission(VIEW_IDS.reply, JSON.parse(view.private_metadata), OLA, { [INPUT_IDS.replyText]: 'Vi sender en tekniker i morgen.' }, 'V0REPLY1');
    expect((await interact(sub)).status).toBe(200);
    expect((await interact(sub)).status).toBe(200); // a resubmitted view is not a second reply
    expect(replies).toEqual([{ task: t.publicId, actor: 'ola', text: 'Vi sender en tekniker i morgen.' }]);
    await interact(click(assigned, OLA, ACTION_IDS.close));
    const closed = (await findTask(em(), { taskId: t.id }))!;
    expect(closed).toMatchObject({ state: 'done', decidedBy: 'ola' });
    expect((await taskAudit(em(), t.id)).map((a) => a.action)).toEqual(['created', 'posted', 'assigned', 'replied', 'done']);
    await deliverAll();
    const msg = slack.messages('C0SUPPORT').find((m) => m.ts === t.slackTs)!;
    expect(JSON.stringify(msg.blocks)).toContain('Closed* by ola');
    expect(JSON.stringify(msg.blocks)).toContain('Replied by ola');
  });

  it('triage buttons reclassify through the callback', async () => {
    const t = await posted(await newTask({ kind: 'triage', recordRef: 'IN-77', channelKey: 'triage', details: { subject: 'Tilbud på ventilasjon?' } }));
    await interact(click(t, OLA, ACTION_IDS.routePrefix + 'sales'));
    expect(routed).toEqual([{ task: t.publicId, route: 'sales' }]);
    expect((await findTask(em(), { taskId: t.id }))!.state).toBe('done');
    await deliverAll();
    expect(JSON.stringify(slack.messages('C0TRIAGE').at(-1)!.blocks)).toContain('Sent to sales');
  });

  it('/mailroom help, /mailroom <task>, /mailroom <record>', async () => {
    const t = await newTask({ recordRef: 'SUP-000030' });
    const command = async (text: string) => {
      const body = new URLSearchParams({ token: 'x', team_id: BOT.team_id, team_domain: 'infracomfort', channel_id: 'C0SUPPORT', channel_name: 'support', user_id: 'U0OLA', user_name: 'ola', command: '/mailroom', text, api_app_id: BOT.app_id, response_url: 'https://hooks.slack.com/commands/x', trigger_id: '1.2.3' }).toString();
      const r = await postJson('/slack/events', body, { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, SECRET) });
      expect(r.status).toBe(200);
      return JSON.parse(r.text) as { response_type: string; text: string };
    };
    expect((await command('help')).text).toContain('/mailroom <ID>');
    expect((await command(t.publicId)).text).toContain('SUP-000030');
    expect((await command('sup-000001')).text).toContain('assigned to kari');
    expect((await command('NOPE-1')).text).toContain('No record');
  });
});

describe('the CLI path is the Slack path', () => {
  it('decideTask with a CLI actor: same allow-list, same lock, same audit and Slack update', async () => {
    const t = await posted(await approval('PRV-000040'));
    const deps = { approvers, actions: new ActionRegistry().register('data-export', async (_em, task, actor) => void ran.push({ kind: 'cli', task: task.publicId, actor: actor.name })) };
    const refused = await decideTask(em(), { publicId: t.publicId, decision: 'approve', actor: { kind: 'cli', id: 'mallory', name: 'mallory' } }, deps);
    expect(refused).toMatchObject({ ok: false, code: 'not-allowed' });
    const ok = await decideTask(em(), { publicId: t.publicId, decision: 'approve', actor: { kind: 'cli', id: 'per', name: 'per' } }, deps);
    expect(ok).toMatchObject({ ok: true, task: { state: 'approved', decidedBy: 'per' } });
    const twice = await decideTask(em(), { publicId: t.publicId, decision: 'approve', actor: { kind: 'cli', id: 'per', name: 'per' } }, deps);
    expect(twice).toMatchObject({ ok: false, code: 'already-decided', reason: 'already decided by per (approved)' });
    expect(ran).toEqual([{ kind: 'cli', task: t.publicId, actor: 'per' }]);
    expect((await taskAudit(em(), t.id)).at(-1)).toMatchObject({ actorKind: 'cli', actorName: 'per', action: 'approved' });
    // A Slack click after the CLI decided: already decided, nothing runs.
    await interact(click(t, KARI, ACTION_IDS.approve));
    expect(ran).toHaveLength(1);
    await deliverAll();
    expect(JSON.stringify(slack.messages('C0PRIVACY').find((m) => m.ts === t.slackTs)!.blocks)).toContain('Approved* by per');
  });

  it('an approval whose action kind has no handler is refused, not approved', async () => {
    const t = await newTask({ kind: 'approval', recordRef: 'PRV-000041', title: 'Erase', channelKey: 'privacy', actionKind: 'erasure' });
    const r = await decideTask(em(), { taskId: t.id, decision: 'approve', actor: { kind: 'cli', id: 'U0KARI', name: 'kari' } }, { approvers, actions: new ActionRegistry() });
    expect(r).toMatchObject({ ok: false, code: 'invalid' });
    expect((await findTask(em(), { taskId: t.id }))!.state).toBe('open');
  });

  it('an action that throws rolls the approval back', async () => {
    const t = await newTask({ kind: 'approval', recordRef: 'PRV-000042', title: 'Erase', channelKey: 'privacy', actionKind: 'erasure' });
    const actions = new ActionRegistry().register('erasure', async () => {
      throw new Error('erasure failed');
    });
    await expect(decideTask(em(), { taskId: t.id, decision: 'approve', actor: { kind: 'cli', id: 'U0KARI', name: 'kari' } }, { approvers, actions })).rejects.toThrow('erasure failed');
    expect((await findTask(em(), { taskId: t.id }))!).toMatchObject({ state: 'open', version: 1 });
    expect((await taskAudit(em(), t.id)).map((a) => a.action)).toEqual(['created']);
  });

  it('the audit is append-only', async () => {
    const t = await newTask({ recordRef: 'SUP-000043' });
    const c = em().getConnection();
    await expect(c.execute(`update task_audit set actor_name = 'x' where task_id = ?`, [t.id])).rejects.toThrow(/append-only/);
    await expect(c.execute(`delete from task_audit where task_id = ?`, [t.id])).rejects.toThrow(/append-only/);
    await expect(c.execute(`truncate task_audit`)).rejects.toThrow(/append-only/);
  });
});
