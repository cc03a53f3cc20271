/** Named queries over `privacy_token`: one-time link tokens, stored only as their SHA-256. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export async function insertToken(
  em: EntityManager,
  row: { caseId: string; rightId: string | null; purpose: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await sqlOf(em)(`insert into privacy_token (case_id, right_id, purpose, token_hash, expires_at) values (?, ?, ?, ?, ?)`, [
    row.caseId,
    row.rightId,
    row.purpose,
    row.tokenHash,
    row.expiresAt,
  ]);
}

/**
 * Marks a live token used and returns its case and right; nothing when it is unknown, used or
 * expired. Check and consumption are one statement, so two clicks at once consume it once.
 */
export async function useLiveToken(
  em: EntityManager,
  tokenHash: string,
  purpose: string,
  now: Date,
): Promise<{ case_id: string; right_id: string | null } | undefined> {
  const [row] = await sqlOf(em)<{ case_id: string; right_id: string | null }>(
    `update privacy_token set used_at = ? where token_hash = ? and purpose = ? and used_at is null and expires_at > ? returning case_id, right_id`,
    [now, tokenHash, purpose, now],
  );
  return row;
}

/** The token's row (used or not), to tell why it does not work. */
export async function tokenUse(em: EntityManager, tokenHash: string, purpose: string): Promise<{ used_at: Date | null } | undefined> {
  const [row] = await sqlOf(em)<{ used_at: Date | null }>(`select used_at from privacy_token where token_hash = ? and purpose = ?`, [tokenHash, purpose]);
  return row;
}

/** Whether a token is unused and unexpired at `now` (without consuming it). */
export async function tokenIsLive(em: EntityManager, tokenHash: string, purpose: string, now: Date): Promise<boolean> {
  const rows = await sqlOf(em)(`select 1 from privacy_token where token_hash = ? and purpose = ? and used_at is null and expires_at > ?`, [tokenHash, purpose, now]);
  return rows.length > 0;
}
