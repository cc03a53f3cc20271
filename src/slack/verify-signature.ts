import crypto from 'node:crypto';

/** Slack refuses requests older than this, and so do we (either direction: clocks drift both ways). */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'bad-signature' };

/**
 * Checks `x-slack-signature` (`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`) and
 * `x-slack-request-timestamp` (within 5 minutes of now), in constant time.
 */
export function verifySlackSignature(
  signingSecret: string,
  rawBody: string,
  signature: string | undefined,
  timestamp: string | undefined,
  nowMs: number = Date.now(),
): SignatureCheck {
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return { ok: false, reason: 'missing' };
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > MAX_REQUEST_AGE_SECONDS) return { ok: false, reason: 'stale' };
  const expected = 'v0=' + crypto.createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return { ok: false, reason: 'bad-signature' };
  return { ok: true };
}
