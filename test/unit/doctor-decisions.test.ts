/** The pure parts of `mailroom doctor`: clock skew, migration comparison, wording, the line format. */
import { describe, expect, it } from 'vitest';
import { judgeClock, CLOCK_FAIL_MS, CLOCK_WARN_MS } from '../../src/doctor/clock-check.ts';
import { compareMigrations, judgeMigrations } from '../../src/doctor/database-check.ts';
import { describeNetError, describeUrl } from '../../src/doctor/net-error.ts';
import { clockSample, httpDateSample } from '../../src/doctor/check.ts';
import { formatResults, failed } from '../../src/doctor/runner.ts';

describe('clock', () => {
  it('a round trip or a whole-second Date header is not skew; beyond it, warn then fail, naming who is behind', () => {
    expect(judgeClock([{ source: 'database now()', offsetMs: 40, uncertaintyMs: 50 }]).status).toBe('ok');
    expect(judgeClock([{ source: 'Slack', offsetMs: 1900, uncertaintyMs: 1000 + 20 }]).status).toBe('ok');
    const w = judgeClock([{ source: 'Slack', offsetMs: CLOCK_WARN_MS + 1500, uncertaintyMs: 1000 }]);
    expect(w).toMatchObject({ status: 'warn' });
    expect(w.detail).toMatch(/this host is 6\.5 s behind Slack/);
    const f = judgeClock([
      { source: 'database now()', offsetMs: 5, uncertaintyMs: 2 },
      { source: 'PUBLIC_URL', offsetMs: -(CLOCK_FAIL_MS + 5000), uncertaintyMs: 1000 },
    ]);
    expect(f).toMatchObject({ status: 'fail' });
    expect(f.detail).toMatch(/this host is 65\.0 s ahead of PUBLIC_URL: fix time sync/);
    expect(judgeClock([]).status).toBe('warn');
  });

  it('samples are read at the midpoint of the round trip', () => {
    expect(clockSample('db', 10_500, 10_000, 11_000)).toEqual({ source: 'db', offsetMs: 0, uncertaintyMs: 500 });
    expect(httpDateSample('x', 'Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'))).toEqual([
      { source: 'x', offsetMs: 10_000, uncertaintyMs: 1000 },
    ]);
    expect(httpDateSample('x', null, 0, 0)).toEqual([]);
    expect(httpDateSample('x', 'not a date', 0, 0)).toEqual([]);
  });
});

describe('migrations', () => {
  const known = ['M1_a', 'M2_b', 'M3_c'];
  it('pending and unknown are told apart', () => {
    expect(compareMigrations(known, ['M1_a'])).toEqual({ pending: ['M2_b', 'M3_c'], unknown: [] });
    expect(compareMigrations(known, [...known, 'M4_next'])).toEqual({ pending: [], unknown: ['M4_next'] });
  });
  it('pending fails naming them; a newer schema warns; nothing applied fails; all applied is ok', () => {
    expect(judgeMigrations(known, ['M1_a'])).toMatchObject({ status: 'fail', detail: expect.stringContaining('2 migration(s) pending: M2_b, M3_c') });
    expect(judgeMigrations(known, [...known, 'M4_next'])).toMatchObject({ status: 'warn', detail: expect.stringContaining('M4_next') });
    expect(judgeMigrations(known, null)).toMatchObject({ status: 'fail', detail: expect.stringContaining('mailroom migrate') });
    expect(judgeMigrations(known, known)).toMatchObject({ status: 'ok' });
  });
});

describe('wording', () => {
  it('network errors in a few words; URLs without their credentials', () => {
    expect(describeNetError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:25'), { code: 'ESOCKET' }))).toBe('connection refused');
    expect(describeNetError(Object.assign(new Error('getaddrinfo ENOTFOUND imap.example'), { code: 'ENOTFOUND' }))).toBe('host not found');
    expect(describeNetError(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }))).toBe('connection refused');
    expect(describeUrl('smtp://user:hunter2@smtp.example.com:587/?pool=true', 587)).toBe('smtp.example.com:587');
    expect(describeUrl('postgres://mailroom:pw@db.internal/mailroom', 5432)).toBe('db.internal:5432/mailroom');
  });

  it('one aligned line per finding, FAIL in capitals, a summary line; failed() only on a fail', () => {
    const results = [
      { check: 'database', status: 'ok' as const, detail: 'PostgreSQL 15' },
      { check: 'smtp', status: 'fail' as const, detail: 'connection refused' },
      { check: 'slack', status: 'warn' as const, detail: 'off' },
    ];
    expect(formatResults(results)).toBe(
      ['ok    database  PostgreSQL 15', 'FAIL  smtp      connection refused', 'warn  slack     off', 'doctor: 1 ok, 1 warn, 1 FAIL', ''].join('\n'),
    );
    expect(failed(results)).toBe(true);
    expect(failed([results[0]!, results[2]!])).toBe(false);
  });
});
