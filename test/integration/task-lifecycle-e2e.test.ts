/**
 * Issues 18.5, 17.8 and 17.9 through the running daemon (Slack on, pointed at the Slack fake;
 * interactions signed as Slack signs them) and the real `mailroom` binary:
 * - a record's tasks close with it, and their Slack messages are updated (triage resolved from
 *   the CLI by the ref lists print; a privacy case completed by `tasks approve`);
 * - stale approvals expire on the daemon's scheduler, and Slack shows it;
 * - one triage route list: the Slack buttons, the CLI choices and the staff actions agree,
 *   privacy included.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { slackInteractionRequest, startSlackFake, type SlackCall, type SlackFake } from '../support/slack-fake.ts';
import { blockActionsPayload } from '../support/slack-payloads.ts';
import { runCli, expectCleanFailure, projectRoot } from '../support/cli-runner.ts';
import { seedFixtureCompany } from '../support/filing-harness.ts';
import { waitUntil } from '../support/e2e-helpers.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { ACTION_IDS } from '../../src/slack/block-kit.ts';

const TOKEN = 'xoxb-lifecycle-test-token';
const SIGNING_SECRET = 'lifecycle-signing-secret-0123456789';
const CHANNELS = { support: 'C0SUPPORT', sales: 'C0SALES', triage: 'C0TRIAGE', privacy: 'C0PRIVACY', alerts: 'C0ALERTS' };
const ADA = { id: 'U0ADA', username: 'ada' };

let db: TestDatabase;
let fake: SlackFake;
let daemon: DaemonProcess;
let env: Record<string, string>;
let configDir: string;
let configFile: string;

const cli = (...args: string[]) =>
  runCli(
    { databaseUrl: db.url, dataDir: env.MAILROOM_DATA_DIR!, secret: env.MAILROOM_SECRET, extra: { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.url, MAILROOM_CONFIG: configFile } },
    ...args,
  );
const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlOf(db.orm.em.fork())<T>(text, params);

interface TaskRow {
  id: string;
  public_id: string;
  kind: string;
  record_ref: string | null;
  state: string;
  version: number;
  action_kind: string | null;
  slack_channel_id: string | null;
  slack_ts: string | null;
}

const posted = (where: string, params: unknown[] = []) =>
  waitUntil(`a posted task (${where})`, async () => (await q<TaskRow>(`select * from task where ${where} and slack_ts is not null order by id desc limit 1`, params))[0], {
    timeoutMs: 60_000,
    describe: () => daemon.output().slice(-2000),
  });

/** The last chat.update of a task's Slack message, once it matches `test`. */
const updated = (task: TaskRow, what: string, test: (c: SlackCall) => boolean) =>
  waitUntil(`the Slack message of ${task.public_id} to be updated: ${what}`, () => fake.callsTo('chat.update').filter((c) => c.body.ts === task.slack_ts).reverse().find(test), {
    timeoutMs: 60_000,
    describe: () => JSON.stringify(fake.callsTo('chat.update').filter((c) => c.body.ts === task.slack_ts).map((c) => c.body.text)),
  });

const hasButtons = (c: SlackCall) => JSON.stringify(c.body.blocks ?? []).includes('"type":"actions"');
const blocksText = (c: SlackCall) => JSON.stringify(c.body.blocks ?? []);

function mail(tag: string, o: { from: string; subject: string; body: string }): string {
  const p = path.join(configDir, `${tag}.eml`);
  writeFileSync(
    p,
    [`From: ${o.from}`, 'To: post@infracomfort.example', `Subject: ${o.subject}`, `Date: ${new Date().toUTCString()}`, `Message-ID: <lifecycle-${tag}@example.net>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', o.body, ''].join('\r\n'),
  );
  return p;
}

async function importOk(file: string): Promise<void> {
  const r = await cli('import', file, '--json');
  expect(r.code, r.stderr).toBe(0);
}

async function click(task: TaskRow, actionId: string): Promise<void> {
  const payload = blockActionsPayload({ publicId: task.public_id, version: Number(task.version), channel: task.slack_channel_id!, channelName: 'triage', messageTs: task.slack_ts!, user: ADA, actionId });
  const r = slackInteractionRequest(payload, SIGNING_SECRET);
  const res = await fetch(`http://127.0.0.1:${daemon.httpPort}/slack/events`, { method: 'POST', headers: r.headers, body: r.body, signal: AbortSignal.timeout(15_000) });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedFixtureCompany(db.orm);
  fake = await startSlackFake({ tokens: [TOKEN], channels: Object.values(CHANNELS), tsBase: Math.floor(Date.now() / 1000) });
  const base = (parseYaml(readFileSync(path.join(projectRoot, 'config/mailroom.yaml'), 'utf8')) ?? {}) as Record<string, any>;
  const behaviour = {
    ...base,
    outbox: { ...(base.outbox ?? {}), backoffBaseMs: 100, backoffMaxMs: 1000, pollIntervalMs: 100 },
    slack: { channels: CHANNELS, approvers: { triage: [ADA.id, ADA.username], 'data-export': ['ada'], 'privacy-case': ['ada'], broadcast: ['ada'] } },
    // Approvals go stale after about four seconds here (a week by default), looked for every second.
    tasks: { approvalsExpireAfterHours: 0.0012, expiryCheckCron: '* * * * * *' },
    // This desk wants staff to see what no rule claims (shipped default: a support ticket), so a
    // vague first mail becomes a triage item here and its task is what these tests follow.
    routing: { ...(base.routing ?? {}), defaultQueue: 'triage' },
  };
  configDir = mkdtempSync(path.join(tmpdir(), 'mailroom-task-lifecycle-'));
  configFile = path.join(configDir, 'mailroom.yaml');
  writeFileSync(configFile, stringifyYaml(behaviour));
  env = daemonEnv({ DATABASE_URL: db.url, SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.url, MAILROOM_CONFIG: configFile, PUBLIC_URL: 'http://127.0.0.1' });
  daemon = await startDaemonProcess(env);
});

afterAll(async () => {
  await daemon?.stop();
  await fake?.stop();
  await db?.drop();
  if (env) cleanupDaemonEnv(env);
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

describe('a record\'s tasks close with it (18.5)', () => {
  it('`triage resolve TRIAGE-n` (the ref task lists print) resolves the item, closes its task, and Slack shows it closed', async () => {
    await importOk(mail('spam', { from: 'Ukjent <ukjent@nyttfirma.example>', subject: 'Spørsmål', body: 'Hei, kan noen ringe meg i morgen?' }));
    const task = await posted(`kind = 'triage'`);
    const ref = task.record_ref!;
    expect(ref).toMatch(/^TRIAGE-\d+$/);
    const list = await cli('triage', 'list', '--json');
    expect(list.json.map((t: { ref: string }) => t.ref)).toContain(ref);

    const r = await cli('triage', 'resolve', ref, '--route', 'spam', '--as', 'Ada');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dismissed as spam/);
    const tasks = await cli('tasks', 'list', '--record', ref.toLowerCase(), '--json');
    expect(tasks.json).toEqual([expect.objectContaining({ id: task.public_id, state: 'done', decidedBy: 'Mailroom' })]);
    const update = await updated(task, 'closed, without buttons', (c) => !hasButtons(c) && /Closed/.test(blocksText(c)));
    expect(blocksText(update)).toContain('resolved as spam by Ada');
    // Resolving it again says what happened the first time, and changes nothing.
    expectCleanFailure(await cli('triage', 'resolve', ref, '--route', 'support'), /already resolved as spam by Ada/);
  });

  it('approving the access request with `tasks approve` completes the case and closes the case\'s other task, in Slack too', async () => {
    await importOk(path.join(projectRoot, 'test/fixtures/mail/03-privacy-access-nb.eml'));
    const caseTask = await posted(`kind = 'privacy-case'`);
    const [receipt] = await q<{ payload: { text?: string } }>(`select payload from outbox_message where channel = 'email' and payload->>'text' like ? order by id desc limit 1`, ['%/privacy/verify%']);
    const token = /\/privacy\/verify\?t=([^\s&"]+)/.exec(String(receipt!.payload.text))![1]!;
    const verify = await fetch(`http://127.0.0.1:${daemon.httpPort}/privacy/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `t=${encodeURIComponent(token)}` });
    expect(verify.status).toBe(200);
    const approval = await posted(`action_kind = 'data-export' and record_ref = ?`, [caseTask.record_ref]);

    const r = await cli('tasks', 'approve', approval.public_id, '--as', 'ada', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect((await cli('privacy', 'show', caseTask.record_ref!, '--json')).json).toMatchObject({ state: 'completed' });
    const [after] = await q<TaskRow>(`select * from task where id = ?`, [caseTask.id]);
    expect(after!.state).toBe('done');
    await updated(caseTask, 'closed with the case', (c) => !hasButtons(c) && /Closed/.test(blocksText(c)) && blocksText(c).includes(`${caseTask.record_ref} completed`));
  });
});

describe('one triage route list (17.9)', () => {
  it('Slack offers every route, privacy included, and its Privacy button opens a privacy case', async () => {
    // Nothing to go on: the classifier leaves it to staff, who know it is a privacy matter.
    await importOk(mail('privacy-by-staff', { from: 'Liv Moe <liv.moe@nyttfirma.example>', subject: 'Spørsmål', body: 'Hei, kan noen ringe meg i morgen?' }));
    const task = await posted(`kind = 'triage' and state = 'open'`);
    const post = fake.callsTo('chat.postMessage').find((c) => JSON.stringify(c.body.metadata ?? '').includes(task.public_id))!;
    const routes = [...blocksText(post).matchAll(/"action_id":"mailroom_route_([a-z]+)"/g)].map((m) => m[1]);
    expect(routes).toEqual(['support', 'sales', 'privacy', 'spam']);

    const before = (await cli('privacy', 'list', '--json')).json.length;
    await click(task, `${ACTION_IDS.routePrefix}privacy`);
    const cases = await waitUntil('a privacy case from the Privacy button', async () => {
      const list = (await cli('privacy', 'list', '--json')).json;
      return list.length > before ? list : null;
    });
    const [item] = await q<{ resolution: string; record_ref: string }>(`select resolution, record_ref from triage_item where id = ?`, [task.record_ref!.replace('TRIAGE-', '')]);
    expect(item).toMatchObject({ resolution: 'privacy', record_ref: cases[0].id });
  });

  it('the CLI offers the same routes: in help, as choices, and through `tasks reclassify`', async () => {
    const help = (await cli('triage', 'resolve', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/choices: "support", "sales", "privacy", "spam"/);
    expect(help).toMatch(/privacy \(open a privacy case\)/);
    expectCleanFailure(await cli('triage', 'resolve', '1', '--route', 'newsletter'), /Allowed choices are support, sales, privacy, spam/);
    await importOk(mail('reclassify', { from: 'Per Vik <per.vik@nyttfirma.example>', subject: 'Spørsmål', body: 'Hei, kan noen ringe meg i morgen?' }));
    const task = await posted(`kind = 'triage' and state = 'open'`);
    expectCleanFailure(await cli('tasks', 'reclassify', task.public_id, 'newsletter', '--as', 'ada'), /Allowed choices are support, sales, privacy, spam/);
    const r = await cli('tasks', 'reclassify', task.public_id, 'sales', '--as', 'ada', '--json');
    expect(r.code, r.stderr).toBe(0);
    const [item] = await q<{ resolution: string; record_ref: string }>(`select resolution, record_ref from triage_item where id = ?`, [task.record_ref!.replace('TRIAGE-', '')]);
    expect(item!.resolution).toBe('sales');
    expect(item!.record_ref).toMatch(/^LEAD-/);
  });
});

describe('stale approvals expire (17.8)', () => {
  it('a campaign nobody approves expires on schedule: the campaign is a draft again and Slack says it expired', async () => {
    const html = path.join(configDir, 'campaign.html');
    writeFileSync(html, '<p>Hei {{first_name}}, her er vinterens nyheter.</p>');
    const created = await cli('campaigns', 'create', '--name', 'Vinter', '--subject', 'Vinternytt', '--html', html, '--list', 'nyhetsbrev');
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    const scheduled = await cli('campaigns', 'schedule', id);
    expect(scheduled.code, scheduled.stderr).toBe(0);
    const approval = await posted(`action_kind = 'broadcast' and record_ref = ?`, [`CAMPAIGN-${id}`]);
    await updated(approval, 'expired, without buttons', (c) => !hasButtons(c) && /Expired/.test(blocksText(c)));
    const shown = await cli('tasks', 'show', approval.public_id, '--json');
    expect(shown.json).toMatchObject({ state: 'expired' });
    expect(shown.json.audit.map((a: { action: string }) => a.action)).toContain('expired');
    expect((await cli('campaigns', 'show', `CAMPAIGN-${id}`, '--json')).json[0]).toMatchObject({ status: 'draft' });
    // Too late to approve: one line, nothing changes.
    expectCleanFailure(await cli('tasks', 'approve', approval.public_id, '--as', 'ada'), /already decided by Mailroom \(expired\)/);
    // The privacy approval above was decided in time; privacy approvals never expire anyway.
    expect(await q(`select 1 from task where state = 'expired' and action_kind in ('data-export', 'erasure', 'rectification')`)).toEqual([]);
  });

  it('a bad expiry setting names the key', async () => {
    const bad = path.join(configDir, 'bad.yaml');
    writeFileSync(bad, stringifyYaml({ tasks: { approvalsExpireAfterHours: -1 } }));
    const r = await runCli({ databaseUrl: db.url, dataDir: env.MAILROOM_DATA_DIR!, extra: { MAILROOM_CONFIG: bad } }, 'config', 'check');
    expectCleanFailure(r, /tasks\.approvalsExpireAfterHours/, { oneLine: true });
    writeFileSync(bad, stringifyYaml({ tasks: { expiryCheckCron: 'every hour' } }));
    const cron = await runCli({ databaseUrl: db.url, dataDir: env.MAILROOM_DATA_DIR!, extra: { MAILROOM_CONFIG: bad } }, 'config', 'check');
    expectCleanFailure(cron, /tasks\.expiryCheckCron.*not a cron expression/, { oneLine: true });
  });
});
