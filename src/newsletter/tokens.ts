/**
 * Signed link tokens for everything a newsletter link can do. A token is
 *   <kind>.<field>.<field>….<signature>
 * with an HMAC-SHA256 (truncated to 128 bits, base64url) over kind and fields, keyed per
 * purpose, so a click token can never be replayed as an unsubscribe token and a changed digit
 * never verifies. Verification is constant-time and accepts a list of keys (rotation).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenKind =
  | 'o' // open pixel: campaign, subscriber
  | 'c' // click: campaign, subscriber, link index
  | 'v' // view in browser: campaign, subscriber
  | 'u' // unsubscribe (one-click and page): subscriber
  | 'p' // preferences: subscriber
  | 'k' // confirm double opt-in: subscriber, list ids (joined by '-'), expiry (epoch seconds)
  | 's'; // stats chart: campaign

const FIELD = /^[0-9a-z-]{1,64}$/;
const SIG_BYTES = 16;

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', `mailroom-newsletter:${secret}`).update(payload).digest().subarray(0, SIG_BYTES);
}

export function signToken(secret: string, kind: TokenKind, fields: (string | number)[]): string {
  const parts = fields.map(String);
  for (const f of parts) if (!FIELD.test(f)) throw new RangeError(`bad token field "${f}"`);
  const payload = [kind, ...parts].join('.');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The fields of a valid token of `kind`, or null for anything altered, truncated or of another kind. */
export function verifyToken(secrets: string | readonly string[], kind: TokenKind, token: string | null | undefined, arity: number): string[] | null {
  if (!token || token.length > 400) return null;
  const parts = token.split('.');
  if (parts.length !== arity + 2 || parts[0] !== kind) return null;
  const sigText = parts.pop()!;
  if (!/^[A-Za-z0-9_-]+$/.test(sigText)) return null;
  const given = Buffer.from(sigText, 'base64url');
  if (given.length !== SIG_BYTES || given.toString('base64url') !== sigText) return null;
  const fields = parts.slice(1);
  if (!fields.every((f) => FIELD.test(f))) return null;
  const payload = parts.join('.');
  let ok = false;
  for (const s of typeof secrets === 'string' ? [secrets] : secrets) {
    if (s && timingSafeEqual(mac(s, payload), given)) ok = true;
  }
  return ok ? fields : null;
}

/** Confirmation tokens expire; the others live as long as the mail that carries them. */
export function confirmToken(secret: string, subscriberId: string, listIds: string[], expires: Date): string {
  return signToken(secret, 'k', [subscriberId, listIds.join('-') || '0', Math.floor(expires.getTime() / 1000)]);
}

export function readConfirmToken(secret: string, token: string | null | undefined, now: Date): { subscriberId: string; listIds: string[] } | 'expired' | null {
  const f = verifyToken(secret, 'k', token, 3);
  if (!f || !/^\d+$/.test(f[0]!) || !/^\d+$/.test(f[2]!)) return null;
  if (Number(f[2]) * 1000 < now.getTime()) return 'expired';
  return { subscriberId: f[0]!, listIds: f[1] === '0' ? [] : f[1]!.split('-').filter((x) => /^\d+$/.test(x)) };
}
