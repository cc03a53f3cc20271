import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OutgoingEmail } from './outgoing-email.ts';
import type { OutboxChannel } from '../entities/outbox-message.ts';
import { sqlOf } from '../db/sql.ts';

export function newMessageId(domain: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(9).toString('base64url')}@${domain}>`;
}

export interface EnqueueOptions {
  /** Same key, same effect: a handler that runs twice enqueues once. */
  dedupeKey?: string;
  notBefore?: Date;
}

/**
 * The outbox insert over `source`, a relation with columns channel, dedupe_key, payload
 * (jsonb), message_id and not_before: one row each, none where the dedupe key is taken.
 * Returns id and dedupe_key; usable as a CTE of a statement that writes more (an
 * acknowledgement queues its mail and records itself in one statement).
 */
export function outboxInsertSql(source: string): string {
  return `insert into outbox_message (channel, dedupe_key, payload, message_id, next_attempt_at)
     select channel, dedupe_key, payload, message_id, coalesce(not_before, now()) from ${source}
     on conflict (dedupe_key) do nothing
     returning id, dedupe_key`;
}

/**
 * Writes an outbox row through `em`, so it commits or rolls back with the caller's transaction.
 * Returns the row id, or null when a row with the same dedupe key already exists.
 */
export async function enqueue(
  em: EntityManager,
  channel: OutboxChannel,
  payload: Record<string, unknown>,
  opts: EnqueueOptions & { messageId?: string } = {},
): Promise<string | null> {
  const rows = await sqlOf(em)<{ id: string }>(
    `${outboxInsertSql('(select ?::text as channel, ?::text as dedupe_key, ?::jsonb as payload, ?::text as message_id, ?::timestamptz as not_before) as one')}`,
    [channel, opts.dedupeKey ?? null, JSON.stringify(payload), opts.messageId ?? null, opts.notBefore ?? null],
    { name: 'outbox-enqueue' },
  );
  return rows[0]?.id ?? null;
}

export function enqueueEmail(em: EntityManager, mail: OutgoingEmail, opts: EnqueueOptions = {}): Promise<string | null> {
  return enqueue(em, 'email', mail as unknown as Record<string, unknown>, { ...opts, messageId: mail.messageId });
}
