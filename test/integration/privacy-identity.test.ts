/**
 * Impostors (issue 6 "Done when"): From spoofed (DMARC fail), a sender not on file, Reply-To set
 * to another address → nothing personal reaches anyone but the address on file. And reminders
 * fire once each, across a restart, on a manual clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { importRaw, makeProcessor, seedFixtureCompany, testFilingDeps } from '../support/filing-harness.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { ActionRegistry } from '../../src/tasks/action-registry.ts';
import { decideTask } from '../../src/tasks/task-service.ts';
import { registerPrivacyActions } from '../../src/privacy/wire.ts';
import { runReminders } from '../../src/privacy/jobs.ts';
import { verifyWithToken } from '../../src/privacy/case-service.ts';
import { issueToken, consumeToken } from '../../src/privacy/tokens.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { wirePrivacy } from '../../src/privacy/wire.ts';
import { testPrivacyDeps } from './privacy-support.ts';
import { computeDue } from '../../src/privacy/due-date.ts';

const KARI = 'kari.nordmann@fjordvarme.example';
const ATTACKER = 'collector@evil.example';
const PERSONAL = /912 34 567|Driftsleder|Fjordvarme AS|support-contact/;

let db: TestDatabase;
const clock = new ManualClock('2026-11-02T08:35:00Z');
const deps = testPrivacyDeps({}, clock);
const actions = new ActionRegistry();
registerPrivacyActions(actions, deps);
const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlOf(db.orm.em.fork())<T>(text, params);

function request(o: { id: string; from: string; replyTo?: string; ar?: string; body?: string; subject?: string }): string {
  return [
    ...(o.ar ? [`Authentication-Results: ${o.ar}`] : []),
    `From: ${o.from}`,
    ...(o.replyTo ? [`Reply-To: ${o.replyTo}`] : []),
    'To: post@infracomfort.example',
    `Subject: ${o.subject ?? 'Innsyn i personopplysninger'}`,
    `Message-ID: <${o.id}@test.example>`,
    'Date: Mon, 02 Nov 2026 09:35:00 +0100',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body ?? 'Hei, jeg ber om innsyn i alle personopplysninger dere har om meg, jf. GDPR artikkel 15. Send svaret til min nye adresse.',
    '',
  ].join('\r\n');
}

async function file(raw: string): Promise<{ ref: string; id: string }> {
  const id = await importRaw(db.orm, raw);
  const p = makeProcessor(db.orm, testFilingDeps({ privacy: deps }));
  p.start();
  try {
    for (let i = 0; i < 200; i++) {
      const [m] = await q(`select state, record_ref from inbound_message where id = ?`, [id]);
      if (m!.state === 'filed') return { ref: m!.record_ref, id };
      if (m!.state === 'quarantined') throw new Error('quarantined');
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('not filed');
  } finally {
    await p.stop();
  }
}

const emailsOf = async (ref: string) => q<{ payload: { to: string[]; text: string; replyTo?: string; cc?: string[] } }>(`select payload from outbox_message where channel = 'email' and payload->'headers'->>'X-Mailroom-Id' = ?`, [ref]);
const allRecipients = async () => [...new Set((await q<{ to: string }>(`select jsonb_array_elements_text(payload->'to') as to from outbox_message where channel = 'email'`)).map((r) => r.to))];

beforeAll(async () => {
  db = await createTestDatabase();
  await seedFixtureCompany(db.orm);
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

describe('impostors', () => {
  it('From spoofed (our MTA says dmarc=fail) with Reply-To elsewhere: a challenge to the address on file only; approval refused until verified', async () => {
    const { ref } = await file(request({ id: 'spoof-1', from: `Kari Nordmann <${KARI}>`, replyTo: ATTACKER, ar: 'mx.infracomfort.example; spf=fail; dmarc=fail header.from=fjordvarme.example' }));
    const [c] = await q(`select * from privacy_case where ref = ?`, [ref]);
    expect(c).toMatchObject({ dmarc: 'fail', identity: 'pending', state: 'awaiting_verification', subject_email: KARI });
    const mails = await emailsOf(ref);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.payload.to).toEqual([KARI]);
    expect(mails[0]!.payload.replyTo).toBeUndefined();
    expect(mails[0]!.payload.text).not.toMatch(PERSONAL);
    expect(await q(`select * from task where record_ref = ? and action_kind is not null`, [ref])).toHaveLength(0);
    // Even a forged approval task cannot make data leave before verification.
    const [r] = await q(`select id from privacy_right where case_id = ?`, [c!.id]);
    const [t] = await q(`insert into task (kind, record_ref, title, channel, action_kind, action_payload) values ('privacy-case', ?, 'x', 'C0PRIVACY', 'data-export', ?) returning id`, [ref, JSON.stringify({ caseId: c!.id, rightId: r!.id })]);
    await expect(decideTask(db.orm.em.fork(), { taskId: t!.id, decision: 'approve', actor: { kind: 'cli', id: 'x', name: 'x' } }, { approvers: { '*': ['*'] } as any, actions, postToSlack: false })).rejects.toThrow(/not verified/);
    expect(await emailsOf(ref)).toHaveLength(1);
  });

  it('a forged dmarc=pass below our own fail does not count', async () => {
    const raw = request({ id: 'spoof-2', from: KARI, ar: 'mx.infracomfort.example; dmarc=fail header.from=fjordvarme.example' }).replace('From:', 'Authentication-Results: mx.infracomfort.example; dmarc=pass header.from=fjordvarme.example\r\nFrom:');
    const { ref } = await file(raw);
    expect((await q(`select dmarc, identity from privacy_case where ref = ?`, [ref]))[0]).toEqual({ dmarc: 'fail', identity: 'pending' });
  });

  it('a sender not on file (lookalike address, same name) gets a neutral answer, nothing about Kari; no approval task', async () => {
    const { ref } = await file(request({ id: 'lookalike-1', from: 'Kari Nordmann <kari.nordmann@fjordvarrne.example>', replyTo: ATTACKER }));
    const [c] = await q(`select * from privacy_case where ref = ?`, [ref]);
    expect(c).toMatchObject({ sender_on_file: false, state: 'needs_information', subject_email: 'kari.nordmann@fjordvarrne.example' });
    const mails = await emailsOf(ref);
    expect(mails.map((m) => m.payload.to)).toEqual([['kari.nordmann@fjordvarrne.example']]);
    expect(mails[0]!.payload.text).not.toMatch(PERSONAL);
    expect(mails[0]!.payload.text).not.toContain(KARI);
    expect(await q(`select * from task where record_ref = ? and action_kind is not null`, [ref])).toHaveLength(0);
  });

  it('Reply-To set to another address, sender authenticated (dmarc=pass) and on file: everything still goes to the address on file', async () => {
    const { ref } = await file(request({ id: 'replyto-1', from: `Kari <${KARI}>`, replyTo: ATTACKER, ar: 'mx.infracomfort.example; dkim=pass; dmarc=pass header.from=fjordvarme.example' }));
    const [c] = await q(`select * from privacy_case where ref = ?`, [ref]);
    expect(c).toMatchObject({ identity: 'verified', dmarc: 'pass' });
    const [t] = await q(`select id from task where record_ref = ? and action_kind = 'data-export'`, [ref]);
    const r = await decideTask(db.orm.em.fork(), { taskId: t!.id, decision: 'approve', actor: { kind: 'cli', id: 'ola', name: 'Ola' } }, { approvers: { '*': ['*'] } as any, actions, postToSlack: false });
    expect(r.ok).toBe(true);
    const mails = await emailsOf(ref);
    expect(mails.length).toBe(2);
    for (const m of mails) expect(m.payload.to).toEqual([KARI]);
    const audit = await q(`select detail from privacy_audit where case_id = ? and action = 'received'`, [c!.id]);
    expect(audit[0]!.detail).toMatchObject({ replyToIgnored: true });
    expect(await allRecipients()).not.toContain(ATTACKER);
  });

  it('tokens: one-time, expiring, stored hashed', async () => {
    const [c] = await q(`select id from privacy_case limit 1`);
    const token = await db.orm.em.fork().transactional((em) => issueToken(em, { caseId: c!.id, purpose: 'verify', ttlHours: 1, now: clock.now() }));
    expect(await q(`select * from privacy_token where token_hash = ?`, [token])).toHaveLength(0);
    const later = new Date(clock.now().getTime() + 2 * 3600_000);
    expect(await consumeToken(db.orm.em.fork(), token, 'verify', later)).toEqual({ ok: false, reason: 'expired' });
    expect(await consumeToken(db.orm.em.fork(), token, 'package', clock.now())).toEqual({ ok: false, reason: 'unknown' });
    expect((await db.orm.em.fork().transactional((em) => verifyWithToken(em, token, deps))).ok).toBe(true);
    expect(await consumeToken(db.orm.em.fork(), token, 'verify', clock.now())).toEqual({ ok: false, reason: 'used' });
  });
});

describe('reminders fire once each', () => {
  it('7, 3 and 1 days before and an escalation when overdue; a restart (new scheduler) sends nothing twice', async () => {
    await q(`update privacy_case set state = 'completed'`);
    const { ref } = await file(request({ id: 'remind-1', from: KARI }));
    // The clock starts at receipt: pretend the message arrived at the fixture's time.
    const due = computeDue(new Date('2026-11-02T08:35:00Z'));
    await q(`update privacy_case set received_at = ?, due_at = ?, due_date = ? where ref = ?`, [new Date('2026-11-02T08:35:00Z'), due.dueAt, due.dueDate, ref]);
    expect(due.dueDate).toBe('2026-12-02');
    const run = async () => {
      // A fresh scheduler per "process": what was sent lives in the database.
      const scheduler = new Scheduler({ clock, log: silentLogger });
      wirePrivacy({ orm: db.orm, deps, actions: new ActionRegistry(), scheduler, log: silentLogger });
      await scheduler.runNow('privacy-reminders');
    };
    const reminders = async () => (await q(`select details->>'mark' as mark, channel from task where kind = 'deadline-reminder' and record_ref = ? order by id`, [ref])).map((r) => r.mark);
    for (const [at, expected] of [
      ['2026-11-20T10:00:00Z', []],
      ['2026-11-25T06:00:00Z', ['d7']],
      ['2026-11-25T18:00:00Z', ['d7']],
      ['2026-11-29T06:00:00Z', ['d7', 'd3']],
      ['2026-12-01T06:00:00Z', ['d7', 'd3', 'd1']],
      ['2026-12-01T07:00:00Z', ['d7', 'd3', 'd1']],
      ['2026-12-02T09:00:00Z', ['d7', 'd3', 'd1', 'overdue']],
      ['2026-12-09T09:00:00Z', ['d7', 'd3', 'd1', 'overdue']],
    ] as const) {
      clock.set(at);
      await run();
      await run(); // twice at the same moment, as after a restart
      expect(await reminders(), at).toEqual(expected);
    }
    const [esc] = await q(`select channel from task where kind = 'deadline-reminder' and record_ref = ? and details->>'mark' = 'overdue'`, [ref]);
    expect(esc!.channel).toBe('C0ALERTS');
    // A reminder says nothing about the person.
    const titles = JSON.stringify(await q(`select title, summary, details from task where kind = 'deadline-reminder'`));
    expect(titles).not.toMatch(/kari|nordmann/i);
  });
});
