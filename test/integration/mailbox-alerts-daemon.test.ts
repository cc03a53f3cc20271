/**
 * Mailbox alerts (issue 5, item 3) at the daemon level: the real daemon process reads a real
 * Dovecot through a loopback TCP proxy, and posts tasks to the Slack fake. Cutting the proxy makes
 * the mailbox unreachable; once that has lasted longer than ingest.alertAfterMs (1.5 s here, set
 * in the behaviour file), exactly one alert task reaches the alerts channel, however many checks
 * see the outage. Restoring the proxy makes the mailbox reachable again and the daemon closes the
 * alert itself: the task is 'done' by the system and its Slack message is updated (chat.update).
 *
 * Every wait is bounded in count (`until`); every peer is stopped in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { startSlackFake, type SlackFake, type SlackMessage } from '../support/slack-fake.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { until } from '../support/outbox-helpers.ts';
import { cleanupAll } from '../support/e2e-helpers.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { listTasks, taskAudit } from '../../src/tasks/task-service.ts';
import type { TaskRecord } from '../../src/tasks/task-types.ts';

const TOKEN = 'xoxb-mailbox-alerts-test-token';
const SIGNING_SECRET = 'mailbox-alerts-signing-secret-0123';
const CHANNELS = { support: 'C0SUPPORT', sales: 'C0SALES', triage: 'C0TRIAGE', privacy: 'C0PRIVACY', alerts: 'C0ALERTS' };
const INBOX = { user: 'post@infracomfort.example', password: 'imap-secret-alerts' };
/** behaviour ingest.alertAfterMs for the daemon under test. */
const ALERT_AFTER_MS = 1500;
/** behaviour ingest.alertCheckIntervalMs: how often the daemon looks at the mailbox health. */
const ALERT_CHECK_MS = 500;
/** behaviour ingest.reconnectMaxMs: the watcher retries at least this often once Dovecot is back. */
const RECONNECT_MAX_MS = 1000;

let dovecot: DovecotInstance | undefined;
let imapProxy: TcpProxy | undefined;
let fake: SlackFake | undefined;
let db: TestDatabase | undefined;
let daemon: DaemonProcess | undefined;
let env: Record<string, string> | undefined;
let configDir: string | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => sqlOf(db!.orm.em.fork())<T>(text, params);
const alertTasks = async (): Promise<TaskRecord[]> => (await listTasks(db!.orm.em.fork(), { kind: 'mailbox-alert' })).filter((t) => t.details.mailbox === 'INBOX');
const metaTaskId = (m: { metadata?: unknown }): string | undefined =>
  (m.metadata as { event_payload?: { task_id?: string } } | undefined)?.event_payload?.task_id;
const alertPosts = () => fake!.callsTo('chat.postMessage').filter((c) => c.body.channel === CHANNELS.alerts);
const alertMessages = (): SlackMessage[] => fake!.messages(CHANNELS.alerts);
const hasButtons = (m: SlackMessage) => JSON.stringify(m.blocks ?? []).includes('"type":"actions"');
const outboxSettled = async () => (await q(`select id from outbox_message where status in ('pending', 'sending')`)).length === 0;

interface Readiness {
  status: number;
  mailbox?: { ok: boolean; detail?: string };
}
async function readiness(): Promise<Readiness> {
  const res = await fetch(`http://127.0.0.1:${daemon!.httpPort}/readyz`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { checks: { name: string; ok: boolean; detail?: string }[] };
  return { status: res.status, mailbox: body.checks.find((c) => c.name === 'mailbox') };
}
/** The daemon reads the mailbox: the readiness check says so (connected, IDLE or fetching). */
const mailboxUp = async () => {
  const r = await readiness();
  return r.status === 200 && r.mailbox?.ok === true && (r.mailbox.detail === 'idle' || r.mailbox.detail === 'fetching');
};

/** `until`, failing with what was awaited and the daemon's last output. */
async function waitFor(what: string, check: () => Promise<boolean> | boolean, tries = 600, everyMs = 100): Promise<void> {
  try {
    await until(async () => {
      try {
        return await check();
      } catch {
        return false;
      }
    }, { tries, everyMs });
  } catch {
    throw new Error(`gave up waiting for ${what} (${tries} tries)\n--- daemon output ---\n${daemon?.output().slice(-6000) ?? ''}`);
  }
}

beforeAll(async () => {
  [dovecot, fake, db] = await Promise.all([
    startDovecot({ users: [INBOX] }),
    startSlackFake({ tokens: [TOKEN], channels: Object.values(CHANNELS), tsBase: Math.floor(Date.now() / 1000) }),
    createTestDatabase(),
  ]);
  // The daemon reaches Dovecot only through this proxy: cutting it makes the mailbox unreachable.
  imapProxy = await startTcpProxy(dovecot.port);

  // The project's behaviour file, with a short alert threshold, Slack channel IDs and a quick outbox.
  const base = (parseYaml(readFileSync(path.resolve('config/mailroom.yaml'), 'utf8')) ?? {}) as Record<string, any>;
  const behaviour = {
    ...base,
    ingest: { ...(base.ingest ?? {}), alertAfterMs: ALERT_AFTER_MS, alertCheckIntervalMs: ALERT_CHECK_MS, reconnectMaxMs: RECONNECT_MAX_MS },
    outbox: { ...(base.outbox ?? {}), maxAttempts: 100, backoffBaseMs: 100, backoffMaxMs: 1000, pollIntervalMs: 100 },
    slack: { ...(base.slack ?? {}), channels: CHANNELS },
  };
  configDir = mkdtempSync(path.join(tmpdir(), 'mailroom-mailbox-alerts-'));
  const configFile = path.join(configDir, 'mailroom.yaml');
  writeFileSync(configFile, stringifyYaml(behaviour));

  env = daemonEnv({
    DATABASE_URL: db.url,
    ...dovecot.env(INBOX.user),
    IMAP_PORT: String(imapProxy.port),
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_APP_TOKEN: '',
    SLACK_API_URL: fake.url,
    SMTP_URL: '',
    MAILROOM_CONFIG: configFile,
    LOG_LEVEL: 'info',
  });
  daemon = await startDaemonProcess(env);
});

afterAll(async () => {
  await cleanupAll(
    () => daemon?.stop(),
    () => imapProxy?.stop(),
    () => fake?.stop(),
    () => dovecot?.stop(),
    () => db?.drop(),
    () => env && cleanupDaemonEnv(env),
    () => configDir && rmSync(configDir, { recursive: true, force: true }),
  );
});

describe('mailbox alerts in the running daemon', () => {
  it('Dovecot unreachable longer than ingest.alertAfterMs → one alert task in the alerts channel; reachable again → closed by the system', async () => {
    // ── up: the daemon reads the mailbox through the proxy, and nothing is alerted ───────────
    await waitFor('the daemon to read the mailbox', mailboxUp);
    expect(imapProxy!.connections().some((c) => c.bytesDown > 0 && c.bytesUp > 0)).toBe(true);
    expect(await alertTasks()).toEqual([]);
    expect(alertPosts()).toEqual([]);

    // ── down: every connection to "Dovecot" is reset, the open one and every new one ─────────
    const cutAt = Date.now();
    const acceptedAtCut = imapProxy!.acceptedCount();
    imapProxy!.setMode('reset');

    await waitFor('the alert task to be posted to the alerts channel', async () => {
      const [t] = await alertTasks();
      return !!t?.slackTs && alertMessages().length > 0;
    });
    // The daemon really is failing to reach the mailbox (it tried again and was refused).
    expect(imapProxy!.acceptedCount()).toBeGreaterThan(acceptedAtCut);

    const [alert, ...more] = await alertTasks();
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      kind: 'mailbox-alert',
      state: 'open',
      title: 'Mailbox INBOX unreachable',
      channel: CHANNELS.alerts,
      slackChannelId: CHANNELS.alerts,
      details: { mailbox: 'INBOX' },
    });
    expect(typeof alert!.details.problem).toBe('string');
    expect(String(alert!.details.problem)).not.toBe('');
    // About this outage, not the start-up: the watcher's down-since is after the cut.
    expect(new Date(String(alert!.details.since)).getTime()).toBeGreaterThanOrEqual(cutAt);
    expect(alert!.dedupeKey).toBe(`mailbox-alert:INBOX:${new Date(String(alert!.details.since)).getTime()}`);

    const [posted, ...morePosted] = alertMessages();
    expect(morePosted).toEqual([]);
    expect(metaTaskId(posted!)).toBe(alert!.publicId);
    expect(posted!.ts).toBe(alert!.slackTs);
    expect(JSON.stringify(posted!.blocks)).toContain(alert!.publicId);

    // Still down through at least one more health check: no second alert, no second post.
    await sleep(ALERT_CHECK_MS + 1500);
    const stillDown = await readiness();
    expect(stillDown.status).toBe(503);
    expect(stillDown.mailbox?.ok).toBe(false);
    await waitFor('the outbox to settle', outboxSettled);
    expect((await alertTasks()).map((t) => [t.id, t.state])).toEqual([[alert!.id, 'open']]);
    expect(alertPosts()).toHaveLength(1);
    expect(alertMessages()).toHaveLength(1);
    expect(fake!.callsTo('chat.update').filter((c) => c.body.channel === CHANNELS.alerts)).toEqual([]);

    // ── up again: the proxy forwards; the daemon reconnects and closes the alert ──────────────
    imapProxy!.setMode('pass');
    await waitFor('the daemon to read the mailbox again', mailboxUp);
    await waitFor('the alert task to be closed', async () => (await alertTasks())[0]?.state === 'done');
    await waitFor('the alert message to be updated in Slack', () => {
      const m = alertMessages().find((x) => x.ts === alert!.slackTs);
      return !!m?.edited && !hasButtons(m);
    });

    const [closed, ...moreClosed] = await alertTasks();
    expect(moreClosed).toEqual([]);
    expect(closed).toMatchObject({
      id: alert!.id,
      state: 'done',
      decidedBy: 'Mailroom',
      decidedById: 'mailbox-alerts',
      reason: 'the mailbox is reachable again',
    });
    const audit = await taskAudit(db!.orm.em.fork(), alert!.id);
    expect(audit.filter((a) => a.action !== 'posted').map((a) => [a.action, a.actorKind, a.actorId])).toEqual([
      ['created', 'system', 'mailroom'],
      ['done', 'system', 'mailbox-alerts'],
    ]);

    const updates = fake!.callsTo('chat.update').filter((c) => c.body.channel === CHANNELS.alerts);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.body.ts).toBe(alert!.slackTs);
    expect(updates[0]!.status).toBe(200);
    expect(JSON.stringify(updates[0]!.body.blocks)).toContain('Closed');
    expect(JSON.stringify(updates[0]!.body.blocks)).toContain('Mailroom');

    // Healthy through at least one more check: nothing more is posted, updated or created.
    await sleep(ALERT_CHECK_MS + 1500);
    await waitFor('the outbox to settle', outboxSettled);
    expect(await mailboxUp()).toBe(true);
    expect((await alertTasks()).map((t) => [t.id, t.state])).toEqual([[alert!.id, 'done']]);
    expect(alertPosts()).toHaveLength(1);
    expect(alertMessages()).toHaveLength(1);
    expect(fake!.callsTo('chat.update').filter((c) => c.body.channel === CHANNELS.alerts)).toHaveLength(1);
    expect(await q(`select id, last_error from outbox_message where status = 'failed'`)).toEqual([]);
  });
});
