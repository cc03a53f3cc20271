import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, makeMessageId, readThreadToken } from '../../src/threading/thread-token.ts';

const SECRET = 'test-secret-0123456789';
const DOMAIN = 'infracomfort.example';

describe('makeMessageId / readThreadToken', () => {
  it('round-trips the ticket ref', () => {
    const id = makeMessageId({ ticketRef: 'SUP-000123', nonce: 'abc234' }, SECRET, DOMAIN);
    expect(id).toMatch(/^<mr1\.[a-z2-7]+\.abc234\.[a-z2-7]{16}@infracomfort\.example>$/);
    expect(readThreadToken(id, SECRET)).toEqual({ ticketRef: 'SUP-000123' });
  });

  it('is short, lower-case and survives MTAs that change case', () => {
    const id = makeMessageId({ ticketRef: 'LEAD-000045' }, SECRET, DOMAIN);
    expect(id.length).toBeLessThan(80);
    expect(id).toBe(id.toLowerCase());
    expect(readThreadToken(id.toUpperCase(), SECRET)).toEqual({ ticketRef: 'LEAD-000045' });
  });

  it('is deterministic for a given nonce and unique across nonces', () => {
    const a = makeMessageId({ ticketRef: 'SUP-1', nonce: 'aaaa' }, SECRET, DOMAIN);
    expect(makeMessageId({ ticketRef: 'SUP-1', nonce: 'aaaa' }, SECRET, DOMAIN)).toBe(a);
    const ids = new Set(Array.from({ length: 200 }, () => makeMessageId({ ticketRef: 'SUP-1' }, SECRET, DOMAIN)));
    expect(ids.size).toBe(200);
  });

  it('rejects a token signed with another secret', () => {
    const id = makeMessageId({ ticketRef: 'SUP-000123' }, 'other-secret', DOMAIN);
    expect(readThreadToken(id, SECRET)).toBeNull();
  });

  it('rejects a changed ticket ref (re-encoded, original signature kept)', () => {
    const id = makeMessageId({ ticketRef: 'SUP-000123', nonce: 'n0nce'.replace('0', 'o') }, SECRET, DOMAIN);
    const [, , nonce, sig] = id.slice(1, id.indexOf('@')).split('.');
    const forged = `<mr1.${base32Encode(Buffer.from('SUP-000124'))}.${nonce}.${sig}@${DOMAIN}>`;
    expect(readThreadToken(forged, SECRET)).toBeNull();
  });

  it('rejects a changed nonce, a truncated or altered signature', () => {
    const id = makeMessageId({ ticketRef: 'SUP-000123', nonce: 'abcd' }, SECRET, DOMAIN);
    expect(readThreadToken(id.replace('.abcd.', '.abce.'), SECRET)).toBeNull();
    const sigStart = id.indexOf('@') - 16;
    const flipped = id.slice(0, sigStart) + (id[sigStart] === 'a' ? 'b' : 'a') + id.slice(sigStart + 1);
    expect(readThreadToken(flipped, SECRET)).toBeNull();
    expect(readThreadToken(id.replace(/\.([a-z2-7]{16})@/, (_, s: string) => `.${s.slice(0, 12)}@`), SECRET)).toBeNull();
  });

  it('ignores foreign Message-IDs and junk', () => {
    expect(readThreadToken('<fixture-01@mail.customer.example>', SECRET)).toBeNull();
    expect(readThreadToken('<ack-SUP-000001@infracomfort.example>', SECRET)).toBeNull();
    expect(readThreadToken('', SECRET)).toBeNull();
    expect(readThreadToken(undefined, SECRET)).toBeNull();
    expect(readThreadToken('<mr1.!!.x.y@z>', SECRET)).toBeNull();
  });

  it('finds the token in a References header; the newest valid one wins', () => {
    const older = makeMessageId({ ticketRef: 'SUP-000001' }, SECRET, DOMAIN);
    const newer = makeMessageId({ ticketRef: 'SUP-000002' }, SECRET, DOMAIN);
    const refs = `<fixture-01@mail.customer.example> ${older}\r\n ${newer} <x@y.example>`;
    expect(readThreadToken(refs, SECRET)).toEqual({ ticketRef: 'SUP-000002' });
    // Tamper with the signature's last character (to another one: a token ending in q stayed valid 1 time in 64).
    const tampered = newer.replace(/(.)@/, (_m, c: string) => `${c === 'q' ? 'r' : 'q'}@`);
    expect(readThreadToken(`${older} ${tampered}`, SECRET)).toEqual({ ticketRef: 'SUP-000001' });
  });

  it('accepts any of several secrets (key rotation)', () => {
    const id = makeMessageId({ ticketRef: 'SUP-9' }, 'old-key', DOMAIN);
    expect(readThreadToken(id, ['new-key', 'old-key'])).toEqual({ ticketRef: 'SUP-9' });
    expect(readThreadToken(id, ['new-key'])).toBeNull();
  });

  it('validates its inputs', () => {
    expect(() => makeMessageId({ ticketRef: 'SUP-1' }, '', DOMAIN)).toThrow();
    expect(() => makeMessageId({ ticketRef: 'SUP 1' }, SECRET, DOMAIN)).toThrow();
    expect(() => makeMessageId({ ticketRef: 'SUP-1', nonce: 'not-base32!' }, SECRET, DOMAIN)).toThrow();
    expect(() => makeMessageId({ ticketRef: 'SUP-1' }, SECRET, 'bad domain')).toThrow();
  });

  it('keeps non-ASCII refs intact', () => {
    const id = makeMessageId({ ticketRef: 'SAK-ÆØÅ-1' }, SECRET, DOMAIN);
    expect(readThreadToken(id, SECRET)).toEqual({ ticketRef: 'SAK-ÆØÅ-1' });
  });
});

describe('base32', () => {
  it('round-trips arbitrary bytes and rejects foreign characters', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    }
    expect(base32Decode('abc1')).toBeNull();
  });
});
