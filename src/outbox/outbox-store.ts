/**
 * Named queries over the outbox table outside its claim (which is outbox-queue-store.ts): the
 * listing staff read, what an import left queued, and giving a claimed row its attempt back.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export interface OutboxMessageRow {
  id: string;
  channel: string;
  status: string;
  attempts: number;
  message_id: string | null;
  payload: Record<string, unknown>;
  last_error: string | null;
  in_doubt: boolean;
  created_at: Date;
  next_attempt_at: Date;
  sent_at: Date | null;
}

/** Outbox rows, newest first, optionally only those in one status. */
export async function listOutboxMessages(em: EntityManager, o: { status?: string; limit: number }): Promise<OutboxMessageRow[]> {
  return em
    .getConnection()
    .execute<OutboxMessageRow[]>(`select * from outbox_message where (?::text is null or status = ?) order by id desc limit ?`, [o.status ?? null, o.status ?? null, o.limit]);
}

/** The newest outbox row's id ('0' when the outbox is empty): a mark to count what comes after. */
export async function lastOutboxId(em: EntityManager): Promise<string> {
  const [row] = await sqlOf(em)<{ id: string | null }>('select max(id)::text as id from outbox_message');
  return row?.id ?? '0';
}

/** Emails still waiting to go that were queued after the row `afterId`. */
export async function pendingEmailsAfter(em: EntityManager, afterId: string): Promise<number> {
  const [q] = await sqlOf(em)<{ n: string }>(`select count(*) as n from outbox_message where id > ?::bigint and channel = 'email' and status = 'pending'`, [afterId]);
  return Number(q?.n ?? 0);
}

/**
 * Gives a claimed row back the attempt its claim counted: for a delivery that only waits (a
 * rate limit, an earlier post) and so did not fail.
 */
export async function refundAttempt(em: EntityManager, rowId: string): Promise<void> {
  await sqlOf(em)(`update outbox_message set attempts = greatest(attempts - 1, 0) where id = ? and status = 'sending'`, [rowId]);
}
