import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { until } from '../support/outbox-helpers.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { startMailboxAlerts, type MailboxAlerts, type MailboxHealthSource } from '../../src/app/mailbox-alerts.ts';
import { decideTask, listTasks, taskAudit } from '../../src/tasks/task-service.ts';
import type { ImapWatcher } from '../../src/ingest/imap-watcher.ts';

// The daemon passes its ImapWatcher: it must satisfy what the alerts read (checked by tsc).
const _watcherFits: (w: ImapWatcher) => MailboxHealthSource = (w) => w;
void _watcherFits;

const CHANNELS = { support: 'C0SUPPORT', sales: 'C0SALES', triage: 'C0TRIAGE', privacy: 'C0PRIVACY', alerts: 'C0ALERTS' };

/** Stands in for ImapWatcher: the test flips its health. */
class FakeWatcher implements MailboxHealthSource {
  readonly mailbox: string;
  up = true;
  connected = true;
  lastError?: string;
  downSinceMs?: number;
  constructor(mailbox = 'INBOX') {
    this.mailbox = mailbox;
  }
  healthy(): boolean {
    return this.up;
  }
  status() {
    return {
      state: this.up ? 'idle' : 'backoff',
      connected: this.up && this.connected,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.downSinceMs !== undefined ? { downSinceMs: this.downSinceMs } : {}),
    };
  }
  goDown(error: string, since = Date.now() - 6 * 60_000): void {
    this.up = false;
    this.lastError = error;
    this.downSinceMs = since;
  }
  recover(): void {
    this.up = true;
    this.lastError = undefined;
    this.downSinceMs = undefined;
  }
}

let db: TestDatabase;
const running: MailboxAlerts[] = [];
const sql = () => sqlOf(db.orm.em.fork());
const alerts = async (mailbox: string) => (await listTasks(db.orm.em.fork(), { kind: 'mailbox-alert' })).filter((t) => t.details.mailbox === mailbox).reverse();
const slackRows = async (taskId: string) =>
  sql()<{ payload: { op: string } }>(`select payload from outbox_message where channel = 'slack' and payload->>'taskId' = ? order by id`, [taskId]);

function start(watcher: MailboxHealthSource, over: { postToSlack?: boolean; intervalMs?: number; wakes?: { n: number } } = {}): MailboxAlerts {
  const a = startMailboxAlerts({
    orm: db.orm,
    watcher,
    channels: CHANNELS,
    postToSlack: over.postToSlack ?? true,
    log: silentLogger,
    // Long by default: the tests drive check() themselves unless they test the timer.
    intervalMs: over.intervalMs ?? 60_000,
    onCommitted: () => over.wakes && over.wakes.n++,
  });
  running.push(a);
  return a;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const a of running) await a.stop();
  await db?.drop();
});
beforeEach(async () => {
  for (const a of running.splice(0)) await a.stop();
});

describe('mailbox alerts from the ingest health check', () => {
  it('down → one alert task in the alerts channel (posted once), however many checks; up → closed by the system', async () => {
    const w = new FakeWatcher('INBOX');
    const wakes = { n: 0 };
    const a = start(w, { wakes });
    await a.check();
    expect(await alerts('INBOX')).toHaveLength(0);

    const since = Date.UTC(2026, 10, 2, 8, 0, 0);
    w.goDown('connect ECONNREFUSED 127.0.0.1:993', since);
    await a.check();
    await a.check();
    await Promise.all([a.check(), a.check()]);
    const [t, ...more] = await alerts('INBOX');
    expect(more).toHaveLength(0);
    expect(t).toMatchObject({
      kind: 'mailbox-alert',
      state: 'open',
      channel: 'C0ALERTS',
      dedupeKey: `mailbox-alert:INBOX:${since}`,
      details: { mailbox: 'INBOX', problem: 'connect ECONNREFUSED 127.0.0.1:993', since: new Date(since).toISOString() },
    });
    expect((await slackRows(t!.id)).map((r) => r.payload.op)).toEqual(['post']);
    expect(wakes.n).toBe(1);

    w.recover();
    await a.check();
    const [closed] = await alerts('INBOX');
    expect(closed).toMatchObject({ id: t!.id, state: 'done', decidedBy: 'Mailroom', decidedById: 'mailbox-alerts', reason: 'the mailbox is reachable again' });
    const audit = await taskAudit(db.orm.em.fork(), t!.id);
    expect(audit.map((x) => [x.action, x.actorKind])).toEqual([
      ['created', 'system'],
      ['done', 'system'],
    ]);
    // The Slack message is updated (buttons gone, "Closed by Mailroom").
    expect((await slackRows(t!.id)).map((r) => r.payload.op)).toEqual(['post', 'update']);
    expect(wakes.n).toBe(2);

    // Healthy again and again: nothing more happens.
    await a.check();
    expect(await slackRows(t!.id)).toHaveLength(2);
  });

  it('a second outage is a second alert; an outage a staff member closed early is not raised again', async () => {
    const w = new FakeWatcher('Shared/Support');
    const a = start(w);
    w.goDown('AUTHENTICATIONFAILED', Date.now() - 400_000);
    await a.check();
    const [first] = await alerts('Shared/Support');
    // Someone closes it by hand while the mailbox is still down (the CLI path: same decideTask).
    const r = await decideTask(db.orm.em.fork(), { taskId: first!.id, decision: 'done', actor: { kind: 'cli', id: 'kari', name: 'kari' } }, { approvers: {} });
    expect(r.ok).toBe(true);
    await a.check();
    await a.check();
    expect(await alerts('Shared/Support')).toHaveLength(1);

    w.recover();
    await a.check();
    w.goDown('connection timed out', Date.now() - 300_000);
    await a.check();
    const list = await alerts('Shared/Support');
    expect(list.map((t) => t.state)).toEqual(['done', 'open']);
    expect(list[1]!.details.problem).toBe('connection timed out');
    expect(list[1]!.dedupeKey).not.toBe(list[0]!.dedupeKey);
  });

  it('after a restart during the outage: no second alert, and the new instance closes the old alert once connected', async () => {
    const w = new FakeWatcher('Restart');
    const before = start(w);
    w.goDown('connect ETIMEDOUT', Date.now() - 360_000);
    await before.check();
    await before.stop();

    // The restarted watcher has its own, later downSince.
    w.goDown('connect ETIMEDOUT', Date.now() - 1000);
    const after = start(w);
    await after.check();
    expect(await alerts('Restart')).toHaveLength(1);

    w.recover();
    await after.check();
    expect((await alerts('Restart')).map((t) => t.state)).toEqual(['done']);
  });

  it('a standby instance (healthy, not connected, never saw the outage) leaves the alert alone', async () => {
    const holder = new FakeWatcher('Standby');
    const standbyWatcher = new FakeWatcher('Standby');
    standbyWatcher.connected = false;
    const a = start(holder);
    const standby = start(standbyWatcher);
    holder.goDown('connect ECONNRESET');
    await a.check();
    await standby.check();
    expect((await alerts('Standby')).map((t) => t.state)).toEqual(['open']);
    holder.recover();
    await a.check();
    expect((await alerts('Standby')).map((t) => t.state)).toEqual(['done']);
  });

  it('Slack off: the alert task exists for the CLI, with no Slack outbox rows', async () => {
    const w = new FakeWatcher('NoSlack');
    const a = start(w, { postToSlack: false });
    w.goDown('connect ECONNREFUSED');
    await a.check();
    w.recover();
    await a.check();
    const [t] = await alerts('NoSlack');
    expect(t!.state).toBe('done');
    expect(await slackRows(t!.id)).toHaveLength(0);
  });

  it('the timer does the checks by itself, and stop() ends them', async () => {
    const w = new FakeWatcher('Timer');
    const a = start(w, { intervalMs: 20 });
    w.goDown('connect ECONNREFUSED');
    await until(async () => (await alerts('Timer')).length === 1, { tries: 200, everyMs: 20 });
    w.recover();
    await until(async () => (await alerts('Timer'))[0]!.state === 'done', { tries: 200, everyMs: 20 });
    await a.stop();
    w.goDown('connect ECONNREFUSED', Date.now() - 1000);
    await new Promise((r) => setTimeout(r, 150));
    expect(await alerts('Timer')).toHaveLength(1);
  });

  it('an error in a check is logged, not thrown; the next check works', async () => {
    const w = new FakeWatcher('Flaky');
    const a = start(w);
    w.goDown('connect ECONNREFUSED');
    let fail = true;
    const healthy = w.healthy.bind(w);
    w.healthy = () => {
      if (fail) {
        fail = false;
        throw new Error('boom');
      }
      return healthy();
    };
    await expect(a.check()).resolves.toBeUndefined();
    await a.check();
    expect(await alerts('Flaky')).toHaveLength(1);
  });
});
