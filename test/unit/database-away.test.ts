import { describe, expect, it } from 'vitest';
import { AbsentClaimers, isDatabaseAway, recordOutcome } from '../../src/db/database-away.ts';
import { silentLogger } from '../../src/logging/logger.ts';

describe('isDatabaseAway', () => {
  it('a server going, gone or not yet back', () => {
    expect(isDatabaseAway(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseAway(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseAway(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isDatabaseAway(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseAway(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe(true);
  });
  it('a statement the server refused is not', () => {
    expect(isDatabaseAway(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isDatabaseAway(Object.assign(new Error('column "x" does not exist'), { code: '42703' }))).toBe(false);
    expect(isDatabaseAway(undefined)).toBe(false);
  });
});

describe('recordOutcome', () => {
  it('waits out the database and then writes once', async () => {
    let calls = 0;
    const r = await recordOutcome(async () => {
      if (++calls < 3) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return 'written';
    }, { log: silentLogger, what: 'test' });
    expect(r).toBe('written');
    expect(calls).toBe(3);
  });
  it('throws any other error at once', async () => {
    let calls = 0;
    await expect(recordOutcome(async () => {
      calls++;
      throw Object.assign(new Error('syntax error'), { code: '42601' });
    }, { log: silentLogger, what: 'test' })).rejects.toThrow('syntax error');
    expect(calls).toBe(1);
  });
});

describe('AbsentClaimers', () => {
  it('a claimer is gone once missing for the grace, and forgiven when it comes back', () => {
    let t = 0;
    const absent = new AbsentClaimers(10_000, () => t);
    expect(absent.longGone(['a'])).toEqual(new Set());
    t = 9_000;
    expect(absent.longGone(['a', 'b'])).toEqual(new Set());
    t = 10_000;
    expect(absent.longGone(['a', 'b'])).toEqual(new Set(['a']));
    t = 12_000;
    expect(absent.longGone(['b'])).toEqual(new Set()); // a reconnected (or is done); b only 3 s
    t = 13_000;
    expect(absent.longGone(['a', 'b'])).toEqual(new Set()); // a's clock starts again
    t = 19_000;
    expect(absent.longGone(['a', 'b'])).toEqual(new Set(['b']));
  });
  it('no grace: gone at once', () => {
    expect(new AbsentClaimers(0).longGone(['x'])).toEqual(new Set(['x']));
  });
});
