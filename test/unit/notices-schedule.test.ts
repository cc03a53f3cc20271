import { describe, expect, it } from 'vitest';
import { dueDecision, planMaintenance } from '../../src/notices/schedule.ts';
import { latestOccurrence, nextOccurrence } from '../../src/notices/cron-period.ts';
import { composeNoticeMail, formatOffset, languageOf } from '../../src/notices/compose.ts';
import { noticesConfigSchema, offsetMinutes } from '../../src/notices/notices-config.ts';
import { parseOpsContactsCsv } from '../../src/notices/recipients.ts';
import { normaliseNoticeRef } from '../../src/notices/notice-service.ts';
import { TemplateRenderer } from '../../src/templates/render-template.ts';

const H = 3_600_000;

describe('maintenance schedule', () => {
  const start = new Date('2026-12-05T21:00:00Z');
  const end = new Date(start.getTime() + 2 * H);

  it('announcement now, reminders longest first, each expiring when the next falls due, then started and completed', () => {
    const now = new Date(start.getTime() - 5 * 24 * H);
    const steps = planMaintenance({ now, windowStart: start, windowEnd: end, reminderMinutes: [60, 4320, 1440] });
    expect(steps.map((s) => s.label)).toEqual(['announcement', 'reminder-72h', 'reminder-24h', 'reminder-1h', 'started', 'completed']);
    expect(steps[1]!.expiresAt).toEqual(steps[2]!.dueAt);
    expect(steps[3]!.expiresAt).toEqual(start);
    expect(steps[5]!.expiresAt).toBeNull();
  });

  it('leaves out reminders already past when the notice is scheduled', () => {
    const steps = planMaintenance({ now: new Date(start.getTime() - 30 * H), windowStart: start, windowEnd: end, reminderMinutes: [4320, 1440, 60] });
    expect(steps.map((s) => s.label)).toEqual(['announcement', 'reminder-24h', 'reminder-1h', 'started', 'completed']);
  });

  it('never sends "starts in 1 hour" after the start', () => {
    const oneHour = planMaintenance({ now: new Date(start.getTime() - 10 * H), windowStart: start, windowEnd: end, reminderMinutes: [60] })[1]!;
    expect(dueDecision(oneHour, new Date(start.getTime() - 30 * 60_000))).toBe('send');
    expect(dueDecision(oneHour, start)).toBe('skip');
    expect(dueDecision(oneHour, new Date(start.getTime() - 2 * H))).toBe('wait');
  });

  it('reads offsets', () => {
    expect(['72h', '90m', '2d'].map(offsetMinutes)).toEqual([4320, 90, 2880]);
    expect(() => offsetMinutes('soon')).toThrow();
    expect(formatOffset(4320, 'en')).toBe('72 hours');
    expect(formatOffset(60, 'nb')).toBe('1 time');
    expect(formatOffset(10080, 'nb')).toBe('7 dager');
  });
});

describe('cron periods (Europe/Oslo)', () => {
  it('finds the latest and next occurrence of a monthly expression across DST', () => {
    expect(latestOccurrence('0 8 1 * *', new Date('2026-12-15T00:00:00Z'))).toEqual(new Date('2026-12-01T07:00:00Z'));
    expect(latestOccurrence('0 8 1 * *', new Date('2026-12-01T06:59:59Z'))).toEqual(new Date('2026-11-01T07:00:00Z'));
    expect(latestOccurrence('0 8 1 * *', new Date('2026-07-10T00:00:00Z'))).toEqual(new Date('2026-07-01T06:00:00Z'));
    expect(nextOccurrence('0 8 1 * *', new Date('2026-12-01T07:00:00Z'))).toEqual(new Date('2027-01-01T07:00:00Z'));
  });

  it('weekdays, and day-of-month OR day-of-week when both are given', () => {
    // Monday 2026-11-30 09:30 Oslo.
    expect(latestOccurrence('30 9 * * mon', new Date('2026-12-03T12:00:00Z'))).toEqual(new Date('2026-11-30T08:30:00Z'));
    expect(latestOccurrence('0 12 15 * fri', new Date('2026-12-16T00:00:00Z'))).toEqual(new Date('2026-12-15T11:00:00Z'));
  });
});

describe('ops-notice contact CSV', () => {
  it('reads Norwegian headers and ; separators, and reports bad rows by line', () => {
    const csv = ['Kunde;E-post;Navn;Språk;Tjenester', 'Alfa AS;kari@alfa.example;Kari;nb;email|portal', 'Beta AS;not-an-address;X;;email', 'Gamma AS;it@gamma.example;;en;fax', ';someone@gmail.com;;;email'].join('\n');
    const r = parseOpsContactsCsv(csv, ['email', 'portal']);
    expect(r.rows).toEqual([{ line: 2, organisation: 'Alfa AS', domain: undefined, email: 'kari@alfa.example', name: 'Kari', language: 'nb', services: ['email', 'portal'] }]);
    expect(r.problems.map((p) => [p.line, p.field])).toEqual([
      [3, 'email'],
      [4, 'services'],
      [5, 'organisation'],
    ]);
  });
});

describe('composing a notice mail', () => {
  const notices = noticesConfigSchema.parse({ services: [{ key: 'email', name: 'E-post', nameEn: 'Email' }] });
  const deps = { notices, templates: new TemplateRenderer(), secret: 's', messageIdDomain: 'infracomfort.example', mailFrom: 'drift@infracomfort.example', fromName: 'Drift', orgName: 'InfraComfort AS' };
  const input = {
    notice: { ref: 'DRIFT-000001', kind: 'maintenance' as const, title: 'Oppgradering', body: 'Se https://status.example/x', services: ['email'], severity: null, windowStart: new Date('2026-12-05T21:00:00Z'), windowEnd: new Date('2026-12-05T23:00:00Z'), template: null },
    step: { id: '7', step: 'reminder' as const, label: 'reminder-24h', body: null, offsetMinutes: 1440 },
    recipient: { contactId: '3', email: 'john@alfa.example', name: 'John', language: 'en', organisationName: 'Alfa AS' },
    earlier: ['<a@x>'],
  };

  it('speaks the recipient language, threads under earlier mail, has a stable Message-ID and no tracking', () => {
    const m = composeNoticeMail(input, deps);
    expect(m.subject).toBe('Reminder: maintenance in 24 hours: Oppgradering [DRIFT-000001]');
    expect(m.text).toContain('Email');
    expect(m.inReplyTo).toBe('<a@x>');
    expect(m.references).toEqual(['<a@x>']);
    expect(composeNoticeMail(input, deps).messageId).toBe(m.messageId);
    expect(m.html).not.toMatch(/<img/i);
    expect(m.html).toContain('https://status.example/x');
    expect(m.headers?.['Auto-Submitted']).toBe('auto-generated');
    const nb = composeNoticeMail({ ...input, recipient: { ...input.recipient, language: null } }, deps);
    expect(nb.subject).toBe('Påminnelse: vedlikehold om 24 timer: Oppgradering [DRIFT-000001]');
    expect(nb.text).toContain('lørdag 5. desember 2026 kl. 22:00');
  });

  it('languages and refs', () => {
    expect([null, 'en-GB', 'nn', 'nb', 'de'].map(languageOf)).toEqual(['nb', 'en', 'nn', 'nb', 'nb']);
    expect(normaliseNoticeRef('drift-7', 'DRIFT')).toBe('DRIFT-000007');
    expect(normaliseNoticeRef('12', 'DRIFT')).toBe('DRIFT-000012');
  });

  it('config: unknown broadcast services and bad cron expressions are named', () => {
    expect(() => noticesConfigSchema.parse({ broadcasts: [{ key: 'm', cron: 'every month', title: 'x' }] })).toThrow(/cron/);
    expect(() => noticesConfigSchema.parse({ broadcasts: [{ key: 'm', cron: '0 8 1 * *', title: 'x', services: ['fax'] }] })).toThrow(/unknown service/);
  });
});
