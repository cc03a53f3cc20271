/** The outbox table as a claim queue (src/queue/): its claim, and the shared queries for the rest. */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClaimStore } from '../queue/claim-store.ts';
import { tableClaimStore } from '../queue/table-claim-store.ts';

export interface OutboxRow {
  id: string;
  channel: string;
  payload: Record<string, unknown>;
  message_id: string | null;
  attempts: number;
  in_doubt: boolean;
  result: Record<string, unknown> | null;
}

/** Claims due rows of the channels this worker can deliver, oldest due first. */
export function outboxQueueStore(em: EntityManager, channels: string[]): ClaimStore<OutboxRow> {
  return tableClaimStore<OutboxRow>(em, { table: 'outbox_message', waiting: 'pending', updatedAt: true, result: true }, (sql, workerId, limit) =>
    sql<OutboxRow>(
      `with due as (
         select id from outbox_message
         where status = 'pending' and next_attempt_at <= now() and channel = any(?::text[])
         order by next_attempt_at, id
         limit ? for update skip locked)
       update outbox_message o
          set status = 'sending', claimed_by = ?, claimed_at = now(), attempts = o.attempts + 1, updated_at = now()
         from due where o.id = due.id
       returning o.id, o.channel, o.payload, o.message_id, o.attempts, o.in_doubt, o.result`,
      [`{${channels.join(',')}}`, limit, workerId],
    ),
  );
}
