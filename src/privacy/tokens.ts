/**
 * One-time, expiring link tokens: 256 random bits, sent once in a link, stored only as their
 * SHA-256. A token is consumed (used_at set) in the same statement that checks it, so a link
 * works once even when clicked twice at the same moment.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export type TokenPurpose = 'verify' | 'package';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function issueToken(
  em: EntityManager,
  input: { caseId: string; rightId?: string | null; purpose: TokenPurpose; ttlHours: number; now: Date },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await sqlOf(em)(
    `insert into privacy_token (case_id, right_id, purpose, token_hash, expires_at) values (?, ?, ?, ?, ?)`,
    [input.caseId, input.rightId ?? null, input.purpose, hashToken(token), new Date(input.now.getTime() + input.ttlHours * 3600_000)],
  );
  return token;
}

export type ConsumeResult =
  | { ok: true; caseId: string; rightId: string | null }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** Checks and consumes a token in one statement; tells why a token does not work. */
export async function consumeToken(em: EntityManager, token: string, purpose: TokenPurpose, now: Date): Promise<ConsumeResult> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { ok: false, reason: 'unknown' };
  const sql = sqlOf(em);
  const hash = hashToken(token);
  const [row] = await sql<{ case_id: string; right_id: string | null }>(
    `update privacy_token set used_at = ? where token_hash = ? and purpose = ? and used_at is null and expires_at > ? returning case_id, right_id`,
    [now, hash, purpose, now],
  );
  if (row) return { ok: true, caseId: String(row.case_id), rightId: row.right_id ? String(row.right_id) : null };
  const [seen] = await sql<{ used_at: Date | null }>(`select used_at from privacy_token where token_hash = ? and purpose = ?`, [hash, purpose]);
  if (!seen) return { ok: false, reason: 'unknown' };
  return { ok: false, reason: seen.used_at ? 'used' : 'expired' };
}

/** Looks a token up without consuming it (the confirmation page before the one-time POST). */
export async function peekToken(em: EntityManager, token: string, purpose: TokenPurpose, now: Date): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return false;
  const rows = await sqlOf(em)(`select 1 from privacy_token where token_hash = ? and purpose = ? and used_at is null and expires_at > ?`, [hashToken(token), purpose, now]);
  return rows.length > 0;
}
