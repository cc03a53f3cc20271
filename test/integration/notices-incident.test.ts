import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { ActionRegistry } from '../../src/tasks/action-registry.ts';
import { decideTask } from '../../src/tasks/task-service.ts';
import { readThreadToken } from '../../src/threading/thread-token.ts';
import { createNotice, findNotice, registerNoticeAction, resolveNotice, scheduleNotice, updateNotice } from '../../src/notices/notice-service.ts';
import { EMAIL_CUSTOMERS, TEST_SECRET, loggedErrors, noticeDeps, parseReceived, seedCustomers, settle, startNoticeDaemon, type NoticeDaemon } from '../support/notices-harness.ts';
import type { Actor } from '../../src/tasks/task-types.ts';
import type { NoticeJobDeps } from '../../src/notices/notice-job.ts';

let db: TestDatabase;
let peer: SmtpPeer;
const kari: Actor = { kind: 'slack', id: 'U0KARI', name: 'kari' };
const ola: Actor = { kind: 'cli', id: 'ola', name: 'ola' };

beforeAll(async () => {
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  await seedCustomers(db.orm);
});
afterAll(async () => {
  await peer?.stop();
  await db?.drop();
});
beforeEach(() => {
  peer.reset();
  loggedErrors.length = 0;
});

async function tick(clock: ManualClock, ms: number, daemons: NoticeDaemon[]): Promise<void> {
  clock.advance(ms);
  await Promise.all(daemons.map((d) => d.tick()));
  await settle(db.orm, peer);
}

async function newIncident(deps: NoticeJobDeps, clock: ManualClock, actor: Actor) {
  const em = db.orm.em.fork();
  const n = await em.transactional((tx) => createNotice(tx, { kind: 'incident', title: 'E-post forsinket', body: 'Innkommende e-post er forsinket.', services: ['email'], severity: 'major', createdBy: actor.name }, deps));
  return { notice: n, scheduled: await scheduleNotice(em, n.ref, { actor, now: clock.now() }, deps) };
}

describe('incidents', () => {
  it('an incident with two updates and a resolution arrives as one thread (References/In-Reply-To at the SMTP peer)', async () => {
    const deps = noticeDeps();
    const clock = new ManualClock('2026-12-02T10:00:00Z');
    const a = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const b = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const { notice } = await newIncident(deps, clock, ola);
    await tick(clock, 0, [a, b]);
    await updateNotice(db.orm.em.fork(), notice.ref, { body: 'Feilen er funnet; vi ruller ut en retting.', actor: ola, now: clock.now() }, deps);
    await tick(clock, 20 * 60_000, [a, b]);
    await updateNotice(db.orm.em.fork(), notice.ref, { body: 'Rettingen er ute; køen tømmes.', actor: ola, now: clock.now() }, deps);
    await tick(clock, 20 * 60_000, [a, b]);
    await resolveNotice(db.orm.em.fork(), notice.ref, { body: 'All e-post er levert.', actor: ola, now: clock.now() }, deps);
    await tick(clock, 20 * 60_000, [a, b]);
    await tick(clock, 60 * 60_000, [a, b]);
    await a.stop();
    await b.stop();

    const mails = await parseReceived(peer.messages);
    expect(mails).toHaveLength(4 * EMAIL_CUSTOMERS.length);
    for (const to of EMAIL_CUSTOMERS) {
      const thread = mails.filter((m) => m.to === to);
      expect(thread.map((m) => m.step)).toEqual(['incident', 'update-1', 'update-2', 'resolved']);
      expect(thread[0]!.inReplyTo).toBeUndefined();
      expect(thread[0]!.references).toEqual([]);
      for (let i = 1; i < thread.length; i++) {
        expect(thread[i]!.inReplyTo).toBe(thread[i - 1]!.messageId);
        expect(thread[i]!.references).toEqual(thread.slice(0, i).map((m) => m.messageId));
      }
      // Replies to any of them find the notice (signed thread token).
      for (const m of thread) expect(readThreadToken(m.messageId, TEST_SECRET)?.ticketRef).toBe(notice.ref);
    }
    const john = mails.filter((m) => m.to === 'john@alfa.example');
    expect(john.map((m) => m.subject)).toEqual([
      `Service disruption: E-post forsinket [${notice.ref}]`,
      `Update 1: E-post forsinket [${notice.ref}]`,
      `Update 2: E-post forsinket [${notice.ref}]`,
      `Resolved: E-post forsinket [${notice.ref}]`,
    ]);
    expect(mails.find((m) => m.to === 'kari@alfa.example' && m.step === 'update-2')!.text).toContain('Rettingen er ute; køen tømmes.');
    expect((await findNotice(db.orm.em.fork(), notice.ref, deps))!.state).toBe('resolved');
    expect(loggedErrors).toEqual([]);
  });

  it('with approval on, the first message waits for Slack approval; later updates by the same approver flow, others wait again', async () => {
    const deps = noticeDeps({ approval: { maintenance: true, incident: true, broadcast: false } });
    const clock = new ManualClock('2026-12-03T10:00:00Z');
    const actions = new ActionRegistry();
    registerNoticeAction(actions, { ...deps, now: () => clock.now() });
    const approvers = { notice: ['U0KARI'] };
    const d = await startNoticeDaemon({ url: db.url, peer, clock, deps });
    const { notice, scheduled } = await newIncident(deps, clock, ola);
    expect(scheduled.notice.state).toBe('awaiting-approval');
    expect(scheduled.task?.actionKind).toBe('notice');
    await tick(clock, 60_000, [d]);
    expect(peer.messages).toHaveLength(0);

    const refused = await decideTask(db.orm.em.fork(), { taskId: scheduled.task!.id, decision: 'approve', actor: ola }, { approvers, actions, postToSlack: false });
    expect(refused.ok).toBe(false);
    const ok = await decideTask(db.orm.em.fork(), { taskId: scheduled.task!.id, decision: 'approve', actor: kari }, { approvers, actions, postToSlack: false });
    expect(ok.ok).toBe(true);
    await tick(clock, 60_000, [d]);
    expect(peer.messages).toHaveLength(EMAIL_CUSTOMERS.length);

    const byKari = await updateNotice(db.orm.em.fork(), notice.ref, { body: 'Oppdatering fra Kari.', actor: kari, now: clock.now() }, deps);
    expect(byKari.step.state).toBe('pending');
    const byOla = await updateNotice(db.orm.em.fork(), notice.ref, { body: 'Oppdatering fra Ola.', actor: ola, now: clock.now() }, deps);
    expect(byOla.step.state).toBe('held');
    await tick(clock, 60_000, [d]);
    let steps = (await parseReceived(peer.messages)).map((m) => m.step);
    expect(steps.filter((s) => s === 'update-1')).toHaveLength(EMAIL_CUSTOMERS.length);
    expect(steps.filter((s) => s === 'update-2')).toHaveLength(0);

    await decideTask(db.orm.em.fork(), { taskId: byOla.task!.id, decision: 'approve', actor: kari }, { approvers, actions, postToSlack: false });
    await tick(clock, 60_000, [d]);
    await d.stop();
    steps = (await parseReceived(peer.messages)).map((m) => m.step);
    expect(steps.filter((s) => s === 'update-2')).toHaveLength(EMAIL_CUSTOMERS.length);
    expect((await findNotice(db.orm.em.fork(), notice.ref, deps))!.approvedBy).toBe('kari');
  });
});
