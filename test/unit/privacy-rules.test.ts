import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { computeDue, daysLeft, extendDue, reminderMarkDue } from '../../src/privacy/due-date.ts';
import { recogniseRights } from '../../src/privacy/recognise.ts';
import { describeChange, extractRequestedChanges } from '../../src/privacy/rectification.ts';
import { planErasure, planSummary } from '../../src/privacy/erasure.ts';
import { coreCoverage } from '../../src/privacy/coverage.ts';
import { bindNamed } from '../../src/privacy/subject.ts';
import { authenticationResults, trustedDmarc } from '../../src/privacy/identity.ts';

const oslo = (iso: string) => DateTime.fromISO(iso, { zone: 'Europe/Oslo' }).toJSDate();
const inOslo = (d: Date) => DateTime.fromJSDate(d, { zone: 'Europe/Oslo' }).toFormat("yyyy-MM-dd'T'HH:mm");

describe('due date = min(+30 days, +1 calendar month), Europe/Oslo', () => {
  it('a 31-day month: +30 days comes first', () => {
    const d = computeDue(oslo('2026-01-01T10:00'));
    expect(d.dueDate).toBe('2026-01-31');
    expect(d.rule).toBe('30-days');
  });
  it('fixture 03 (received 2 Nov 2026 09:35 +01:00): due 2 Dec (30 days and one month agree)', () => {
    const d = computeDue(new Date('2026-11-02T08:35:00Z'));
    expect(d.dueDate).toBe('2026-12-02');
    expect(d.rule).toBe('both');
  });
  it('month end: 31 January + 1 month clamps to 28 February (non-leap), earlier than +30 days (2 March)', () => {
    const d = computeDue(oslo('2027-01-31T12:00'));
    expect(d.dueDate).toBe('2027-02-28');
    expect(d.rule).toBe('1-month');
  });
  it('leap year: 31 January 2028 → 29 February 2028; 30 January 2028 → 29 February (30 days) ', () => {
    expect(computeDue(oslo('2028-01-31T12:00')).dueDate).toBe('2028-02-29');
    expect(computeDue(oslo('2028-01-30T12:00')).dueDate).toBe('2028-02-29');
    expect(computeDue(oslo('2028-01-29T12:00')).dueDate).toBe('2028-02-28');
  });
  it('1 February in a 28-day month: +30 days = 3 March is later than 1 March', () => {
    expect(computeDue(oslo('2027-02-01T08:00')).dueDate).toBe('2027-03-01');
    expect(computeDue(oslo('2028-02-01T08:00')).dueDate).toBe('2028-03-01');
  });
  it('DST starts (last Sunday of March): same Oslo wall-clock time on the due day, UTC offset changes', () => {
    const d = computeDue(oslo('2026-03-10T09:00')); // CET
    expect(d.dueDate).toBe('2026-04-09');
    expect(inOslo(d.dueAt)).toBe('2026-04-09T09:00'); // CEST
    expect(d.dueAt.toISOString()).toBe('2026-04-09T07:00:00.000Z');
  });
  it('DST ends (last Sunday of October): a request at 00:30 UTC is still the Oslo day it was received', () => {
    const received = new Date('2026-10-24T22:30:00Z'); // 25 Oct 00:30 CEST in Oslo
    const d = computeDue(received);
    expect(d.dueDate).toBe('2026-11-24');
    expect(inOslo(d.dueAt)).toBe('2026-11-24T00:30');
  });
  it('the Oslo calendar decides, not UTC: 23:30 UTC on 31 Dec is 1 Jan in Oslo', () => {
    expect(computeDue(new Date('2026-12-31T23:30:00Z')).dueDate).toBe('2027-01-31');
  });
  it('extension: up to 2 months, only before the first period ends', () => {
    const r = new Date('2026-11-02T08:35:00Z');
    expect(extendDue(r, new Date('2026-11-20T10:00:00Z'), 2)).toMatchObject({ ok: true, dueDate: '2027-02-02' });
    expect(extendDue(r, new Date('2026-12-03T10:00:00Z'), 1)).toMatchObject({ ok: false });
    expect(extendDue(r, new Date('2026-11-20T10:00:00Z'), 3)).toMatchObject({ ok: false });
  });
});

describe('reminder marks', () => {
  const due = oslo('2026-12-02T09:35');
  it('fire 7, 3 and 1 days before and overdue after, each once, most urgent only', () => {
    const sent = new Set<string>();
    const at = (iso: string) => reminderMarkDue(due, oslo(iso), [7, 3, 1], sent);
    expect(at('2026-11-24T12:00')).toBeNull();
    expect(at('2026-11-25T00:10')).toBe('d7');
    sent.add('d7');
    expect(at('2026-11-26T12:00')).toBeNull();
    expect(at('2026-11-29T08:00')).toBe('d3');
    sent.add('d3');
    expect(at('2026-12-01T08:00')).toBe('d1');
    sent.add('d1');
    expect(at('2026-12-02T09:00')).toBeNull();
    expect(at('2026-12-02T09:36')).toBe('overdue');
    sent.add('overdue');
    expect(at('2026-12-05T09:00')).toBeNull();
  });
  it('a case first seen 2 days before gets the 3-day reminder, then the 1-day one, never the 7-day one', () => {
    const sent = new Set<string>();
    expect(reminderMarkDue(due, oslo('2026-11-30T08:00'), [7, 3, 1], sent)).toBe('d3');
    sent.add('d3');
    expect(reminderMarkDue(due, oslo('2026-11-30T09:00'), [7, 3, 1], sent)).toBeNull();
    expect(reminderMarkDue(due, oslo('2026-12-01T09:00'), [7, 3, 1], sent)).toBe('d1');
  });
  it('days left counts Oslo calendar days', () => {
    expect(daysLeft(due, oslo('2026-12-01T23:59'))).toBe(1);
    expect(daysLeft(due, oslo('2026-12-02T00:01'))).toBe(0);
  });
});

describe('recognition: each right in one email', () => {
  it('adds rights the classifier leaves to the handler', () => {
    expect(recogniseRights('Jeg vil ha innsyn, og slett nyhetsbrevsporing. Slå på DO NOT TRACK.', ['access'])).toEqual(['access', 'erasure', 'do-not-track']);
    expect(recogniseRights('Please complete my record: my title is incomplete.', [])).toEqual(['completion']);
    expect(recogniseRights('Meld meg av nyhetsbrevet', [])).toEqual(['unsubscribe']);
    expect(recogniseRights('Hei, hva gjelder?', [])).toEqual(['unspecified']);
  });
});

describe('rectification extraction (pure)', () => {
  it('fixture 13: the new mobile number', () => {
    const c = extractRequestedChanges('Mobilnummeret dere har registrert på meg i kundeportalen er feil.\nRiktig nummer er 478 12 345. Kan dere rette det?');
    expect(c).toEqual([expect.objectContaining({ field: 'phone', value: '478 12 345' })]);
    expect(describeChange(c[0]!)).toBe('phone → a number ending 345');
  });
  it('English phone, email, name and title', () => {
    const c = extractRequestedChanges('My new mobile number is +47 912 00 111. My new email is liam@nordic.example. My name is Liam Brien. New title: Site manager.');
    expect(Object.fromEntries(c.map((x) => [x.field, x.value]))).toEqual({ phone: '+47 912 00 111', email: 'liam@nordic.example', name: 'Liam Brien', title: 'Site manager' });
  });
  it('nothing when nothing is asked', () => {
    expect(extractRequestedChanges('Please correct my data.')).toEqual([]);
  });
});

describe('erasure planner (pure)', () => {
  it('a line per system with its action and ground; orders kept until their retention ends', () => {
    const plan = planErasure(
      coreCoverage,
      { Contact: { found: 1 }, Lead: { found: 2 }, Ticket: { found: 1 }, CustomerOrder: { found: 3, expired: 1, keptUntil: '2031-12-31' }, PortalUser: { found: 1 }, Task: { found: 5 } },
      'delete',
    );
    const by = Object.fromEntries(plan.lines.map((l) => [l.entity, l]));
    expect(by.Contact).toMatchObject({ action: 'delete-or-anonymise', found: 1 });
    expect(by.Lead).toMatchObject({ action: 'delete-or-anonymise', found: 2 });
    expect(by.Ticket).toMatchObject({ action: 'keep', kept: 1 });
    expect(by.Ticket!.ground).toMatch(/17\(3\)\(e\)/);
    expect(by.CustomerOrder).toMatchObject({ action: 'retention', found: 3, kept: 2, keptUntil: '2031-12-31' });
    expect(by.CustomerOrder!.ground).toMatch(/bokføringsloven § 13/);
    expect(by.PortalUser).toMatchObject({ action: 'delete' });
    expect(by.Task).toBeUndefined(); // not personal
    const summary = planSummary(plan);
    expect(summary).toContain('keep 2 until 2031-12-31');
    expect(planErasure(coreCoverage, { Contact: { found: 1 } }, 'anonymise').lines[0]).toMatchObject({ action: 'anonymise' });
  });
});

describe('named placeholders', () => {
  it('binds :contacts, :emails, :now and leaves ::casts alone', () => {
    const q = bindNamed(`select 1 where id = any(:contacts) and e = any(:emails::text[]) and t < :now::date`, { contacts: ['1', '2'], emails: ['a@b.c'], cases: [], now: new Date(0) });
    expect(q.sql).toBe(`select 1 where id = any(?::bigint[]) and e = any(?::text[]::text[]) and t < ?::timestamptz::date`);
    expect(q.params).toEqual(['{"1","2"}', '{"a@b.c"}', new Date(0)]);
  });
});

describe('Authentication-Results: only the topmost header from our own MTA counts', () => {
  const raw = (lines: string[]) => Buffer.from([...lines, 'From: a@b.example', '', 'body'].join('\r\n'));
  it('reads dmarc= of the topmost header when its authserv-id is ours', () => {
    expect(trustedDmarc(raw(['Authentication-Results: mx.infracomfort.example;', ' dkim=pass; dmarc=pass (p=reject) header.from=b.example']), 'mx.infracomfort.example')).toBe('pass');
  });
  it('a forged pass further down cannot override our fail', () => {
    const r = raw(['Authentication-Results: mx.infracomfort.example; dmarc=fail header.from=b.example', 'Authentication-Results: mx.infracomfort.example; dmarc=pass header.from=b.example']);
    expect(authenticationResults(r)).toHaveLength(2);
    expect(trustedDmarc(r, 'mx.infracomfort.example')).toBe('fail');
  });
  it('a header from someone else on top is not trusted', () => {
    expect(trustedDmarc(raw(['Authentication-Results: evil.example; dmarc=pass']), 'mx.infracomfort.example')).toBeNull();
  });
});
