/**
 * The statement that queues the acknowledgements of new records of one kind: hot-path SQL,
 * one round trip for a whole batch of new tickets (checks, outbox rows, acknowledgement rows,
 * the records' marks and their timeline entries together).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { outboxInsertSql } from '../outbox/enqueue-store.ts';
import { timelineCtes, timelineSource } from './timeline-store.ts';

/** One acknowledgement to queue: a timeline source row (timelineSourceRow) with its order, recipient and mail. */
export type AcknowledgementRow = { ord: number; recipient: string; payload: unknown } & Record<string, unknown>;

/** What the statement found for one row: acknowledgements to the recipient this hour, whether the record had one, its outbox row if queued. */
export interface AcknowledgementGate {
  ord: number;
  recent: string;
  already: boolean;
  outbox_id: string | null;
}

/**
 * Queues the acknowledgements of `rows` (records of `kind`) that pass the database's checks:
 * the record has none yet, and fewer than `maxPerHour` went to the recipient in the last hour
 * (rows to one recipient count against each other in `ord` order). The outbox row (enqueue's
 * insert), the acknowledgement row, the record's mark and its timeline entry go together.
 */
export async function queueAcknowledgements(em: EntityManager, kind: 'ticket' | 'lead', rows: AcknowledgementRow[], maxPerHour: number): Promise<AcknowledgementGate[]> {
  return sqlOf(em)<AcknowledgementGate>(
    `with input as (${timelineSource('ord int, recipient text, payload jsonb')}),
     gate as (
       select input.*,
              (select count(*) from acknowledgement a where a.recipient = input.recipient and a.created_at > now() - interval '1 hour')
                + row_number() over (partition by input.recipient order by input.ord) - 1 as recent,
              exists (select 1 from acknowledgement a where a.record_ref = input.record_ref) as already
         from input),
     o as (${outboxInsertSql(`(select 'email' as channel, 'ack:' || record_ref as dedupe_key, payload, message_id, null::timestamptz as not_before
                                  from gate where not already and recent < ? order by ord) as due`)}),
     sent as (select g.record_ref, g.direction, g.inbound_message_id, o.id as outbox_id, g.message_id, g.thread_id, g.from_address, g.author,
                     g.subject, g.body_new, g.body_split, g.contact_id, g.lead_id, g.recipient
                from gate g join o on o.dedupe_key = 'ack:' || g.record_ref),
     a as (insert into acknowledgement (record_ref, recipient, outbox_id) select record_ref, recipient, outbox_id from sent on conflict (record_ref) do nothing),
     r as (update ${kind === 'ticket' ? 'ticket' : 'lead'} set acknowledged_at = now() where ref in (select record_ref from sent)),
     ${timelineCtes('ack', 'sent')}
     select g.ord, g.recent, g.already, s.outbox_id from gate g left join sent s on s.record_ref = g.record_ref`,
    [JSON.stringify(rows), maxPerHour],
    { name: `ack-queue-${kind}` },
  );
}
