/**
 * One-time, expiring link tokens: 256 random bits, sent once in a link, stored only as their
 * SHA-256. A token is consumed (used_at set) in the same statement that checks it, so a link
 * works once even when clicked twice at the same moment.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { insertToken, tokenIsLive, tokenUse, useLiveToken } from './token-store.ts';

export type TokenPurpose = 'verify' | 'package';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function issueToken(
  em: EntityManager,
  input: { caseId: string; rightId?: string | null; purpose: TokenPurpose; ttlHours: number; now: Date },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertToken(em, {
    caseId: input.caseId,
    rightId: input.rightId ?? null,
    purpose: input.purpose,
    tokenHash: hashToken(token),
    expiresAt: new Date(input.now.getTime() + input.ttlHours * 3600_000),
  });
  return token;
}

export type ConsumeResult =
  | { ok: true; caseId: string; rightId: string | null }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** Checks and consumes a token in one statement; tells why a token does not work. */
export async function consumeToken(em: EntityManager, token: string, purpose: TokenPurpose, now: Date): Promise<ConsumeResult> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { ok: false, reason: 'unknown' };
  const hash = hashToken(token);
  const row = await useLiveToken(em, hash, purpose, now);
  if (row) return { ok: true, caseId: String(row.case_id), rightId: row.right_id ? String(row.right_id) : null };
  const seen = await tokenUse(em, hash, purpose);
  if (!seen) return { ok: false, reason: 'unknown' };
  return { ok: false, reason: seen.used_at ? 'used' : 'expired' };
}

/** Looks a token up without consuming it (the confirmation page before the one-time POST). */
export async function peekToken(em: EntityManager, token: string, purpose: TokenPurpose, now: Date): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return false;
  return tokenIsLive(em, hashToken(token), purpose, now);
}
