import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { cancelNotice, createNotice, scheduleNotice, noticeSteps, findNotice } from '../../src/notices/notice-service.ts';
import { EMAIL_CUSTOMERS, loggedErrors, noticeDeps, parseReceived, seedCustomers, settle, startNoticeDaemon, type NoticeDaemon } from '../support/notices-harness.ts';
import type { Actor } from '../../src/tasks/task-types.ts';

let db: TestDatabase;
let peer: SmtpPeer;
const staff: Actor = { kind: 'cli', id: 'kari.drift', name: 'kari.drift' };
const deps = noticeDeps({ reminders: ['72h', '24h', '1h'] });
const HOUR = 3_600_000;

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  await seedCustomers(db.orm);
});
afterAll(async () => {
  await peer?.stop();
  await db?.drop();
});
beforeEach(async () => {
  peer.reset();
  loggedErrors.length = 0;
});

async function newMaintenance(clock: ManualClock, start: Date, services = ['email']) {
  const em = db.orm.em.fork();
  const n = await em.transactional((tx) =>
    createNotice(
      tx,
      {
        kind: 'maintenance',
        title: 'Oppgradering av e-postplattformen',
        body: 'Status underveis: https://status.infracomfort.example/drift',
        services,
        windowStart: start,
        windowEnd: new Date(start.getTime() + 2 * HOUR),
        createdBy: staff.name,
      },
      deps,
    ),
  );
  await scheduleNotice(em, n.ref, { actor: staff, now: clock.now() }, deps);
  return n;
}

/** Moves the clock, wakes every daemon at once, waits for the outbox to drain. */
async function tickAll(clock: ManualClock, at: Date, daemons: NoticeDaemon[]): Promise<void> {
  clock.set(at);
  await Promise.all(daemons.flatMap((d) => [d.tick(), d.tick()]));
  await settle(db.orm, peer);
}

describe('planned maintenance', () => {
  it('reaches exactly the ops contacts of the customers using the service: announcement, each reminder once and in order, started, completed — across a restart and with a second daemon alongside', async () => {
    const t0 = new Date('2026-12-01T08:00:00Z');
    const start = new Date('2026-12-05T21:00:00Z');
    const end = new Date(start.getTime() + 2 * HOUR);
    const clock = new ManualClock(t0);
    let a = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const b = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const notice = await newMaintenance(clock, start);

    await tickAll(clock, t0, [a, b]);
    await tickAll(clock, new Date(start.getTime() - 80 * HOUR), [a, b]); // nothing due
    await tickAll(clock, new Date(start.getTime() - 72 * HOUR + 60_000), [a, b]);
    // Daemon A restarts between reminders.
    await a.stop();
    a = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    await tickAll(clock, new Date(start.getTime() - 72 * HOUR + 120_000), [a, b]); // again: nothing
    await tickAll(clock, new Date(start.getTime() - 24 * HOUR), [a, b]);
    await tickAll(clock, new Date(start.getTime() - 1 * HOUR + 30_000), [a, b]);
    await a.stop();
    a = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    await tickAll(clock, new Date(start.getTime() + 60_000), [a, b]);
    await tickAll(clock, new Date(start.getTime() + 90_000), [a, b]);
    await tickAll(clock, new Date(end.getTime() + 60_000), [a, b]);
    await tickAll(clock, new Date(end.getTime() + 24 * HOUR), [a, b]);
    await a.stop();
    await b.stop();

    const mails = await parseReceived(peer.messages);
    const order = ['announcement', 'reminder-72h', 'reminder-24h', 'reminder-1h', 'started', 'completed'];
    expect(mails).toHaveLength(order.length * EMAIL_CUSTOMERS.length);
    expect([...new Set(mails.map((m) => m.to))].sort()).toEqual(EMAIL_CUSTOMERS);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(mails.length);
    for (const to of EMAIL_CUSTOMERS) {
      const mine = mails.filter((m) => m.to === to);
      expect(mine.map((m) => m.step)).toEqual(order);
      // Every later message threads under the announcement.
      for (let i = 1; i < mine.length; i++) {
        expect(mine[i]!.references[0]).toBe(mine[0]!.messageId);
        expect(mine[i]!.inReplyTo).toBe(mine[i - 1]!.messageId);
      }
    }
    // Per recipient language; operational mail: no pixel, links untouched.
    const john = mails.filter((m) => m.to === 'john@alfa.example');
    const kari = mails.filter((m) => m.to === 'kari@alfa.example');
    expect(john[1]!.subject).toMatch(/^Reminder: maintenance in 72 hours/);
    expect(kari[1]!.subject).toMatch(/^Påminnelse: vedlikehold om 72 timer/);
    expect(kari[3]!.subject).toMatch(/om 1 time:/);
    for (const m of mails) {
      expect(m.html).not.toMatch(/<img/i);
      expect(m.raw).not.toMatch(/List-Unsubscribe/i);
    }
    expect(kari[0]!.text).toContain('https://status.infracomfort.example/drift');
    expect(kari[0]!.html).toContain('https://status.infracomfort.example/drift');
    expect(kari[0]!.text).toContain('lørdag 5. desember 2026 kl. 22:00');
    expect(loggedErrors).toEqual([]);
    const n = await findNotice(db.orm.em.fork(), notice.ref, deps);
    expect(n!.state).toBe('completed');
  });

  it('a notice whose start passed during downtime sends no "starts in 1 hour"; a missed reminder goes late only while it still makes sense', async () => {
    const t0 = new Date('2026-12-10T08:00:00Z');
    const start = new Date('2026-12-14T08:00:00Z');
    const clock = new ManualClock(t0);
    let d = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const notice = await newMaintenance(clock, start);
    await tickAll(clock, t0, [d]);
    await d.stop(); // down from before the 72 h reminder ...
    clock.set(new Date(start.getTime() - 20 * HOUR)); // ... to after the 24 h one
    d = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    await tickAll(clock, clock.now(), [d]);
    await d.stop(); // down again, through the start
    clock.set(new Date(start.getTime() + 10 * 60_000));
    d = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    await tickAll(clock, clock.now(), [d]);
    await tickAll(clock, new Date(start.getTime() + 3 * HOUR), [d]);
    await d.stop();

    const mails = await parseReceived(peer.messages);
    for (const to of EMAIL_CUSTOMERS) {
      expect(mails.filter((m) => m.to === to).map((m) => m.step)).toEqual(['announcement', 'reminder-24h', 'started', 'completed']);
    }
    const steps = await noticeSteps(db.orm.em.fork(), notice.id);
    expect(Object.fromEntries(steps.map((s) => [s.label, s.state]))).toEqual({
      announcement: 'sent',
      'reminder-72h': 'skipped',
      'reminder-24h': 'sent',
      'reminder-1h': 'skipped',
      started: 'sent',
      completed: 'sent',
    });
  });

  it('a cancelled notice sends nothing more, not even mail already queued, except one cancellation to those who were told', async () => {
    const t0 = new Date('2026-12-20T08:00:00Z');
    const start = new Date('2026-12-24T08:00:00Z');
    const clock = new ManualClock(t0);
    const d = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const notice = await newMaintenance(clock, start);
    await tickAll(clock, t0, [d]);
    await tickAll(clock, new Date(start.getTime() - 72 * HOUR), [d]);
    expect(peer.messages).toHaveLength(2 * EMAIL_CUSTOMERS.length);
    await d.stop();

    // The 24 h reminder is queued by a daemon whose dispatcher is not running, then cancelled.
    clock.set(new Date(start.getTime() - 24 * HOUR));
    const { runNoticeJob } = await import('../../src/notices/notice-job.ts');
    const r = await runNoticeJob(db.orm, clock.now(), deps);
    expect(r.sent).toEqual([{ ref: notice.ref, label: 'reminder-24h', recipients: EMAIL_CUSTOMERS.length }]);
    const c = await cancelNotice(db.orm.em.fork(), notice.ref, { actor: staff, now: clock.now() }, deps);
    expect(c.mailsWithdrawn).toBe(EMAIL_CUSTOMERS.length);
    expect(c.stepsCancelled).toBe(3); // 1h, started, completed

    const d2 = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    for (const at of [start.getTime() - HOUR, start.getTime(), start.getTime() + 3 * HOUR]) await tickAll(clock, new Date(at), [d2]);
    await d2.stop();
    const mails = await parseReceived(peer.messages);
    // Those told about it hear once that it is off, threaded under what reached them (not under the withdrawn reminder).
    expect(mails.map((m) => m.step).filter((s) => s !== 'announcement' && s !== 'reminder-72h')).toEqual(EMAIL_CUSTOMERS.map(() => 'cancellation'));
    for (const to of EMAIL_CUSTOMERS) {
      const mine = mails.filter((m) => m.to === to);
      expect(mine.map((m) => m.step)).toEqual(['announcement', 'reminder-72h', 'cancellation']);
      expect(mine[2]!.inReplyTo).toBe(mine[1]!.messageId);
      expect(mine[2]!.references).toEqual([mine[0]!.messageId, mine[1]!.messageId]);
    }
    const [{ n }] = (await sqlOf(db.orm.em.fork())(`select count(*) as n from outbox_message where status = 'cancelled'`)) as [{ n: string }];
    expect(Number(n)).toBe(EMAIL_CUSTOMERS.length);
  });

  it('a notice for a service nobody uses reaches nobody; one for the portal reaches only its customers', async () => {
    const t0 = new Date('2027-01-10T08:00:00Z');
    const clock = new ManualClock(t0);
    const d = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    await newMaintenance(clock, new Date('2027-01-20T08:00:00Z'), ['backup']);
    await newMaintenance(clock, new Date('2027-01-20T08:00:00Z'), ['portal']);
    await tickAll(clock, t0, [d]);
    await d.stop();
    expect(peer.messages.map((m) => m.envelope.to.join()).sort()).toEqual(['drift@beta.example', 'it@gamma.example']);
  });
});
