import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { normaliseMessageId } from '../threading/resolve-thread.ts';

export interface TimelineEntry {
  recordRef: string;
  direction: 'in' | 'out';
  inboundMessageId?: string;
  outboxId?: string | null;
  messageId?: string;
  fromAddress?: string;
  author?: string;
  subject?: string;
  bodyNew?: string;
  bodyQuoted?: string;
  signature?: string;
  /** For the contact's (and lead's) email log. */
  contactId?: string | null;
  leadId?: string | null;
}

/**
 * Puts one message on a record: its timeline, the Message-ID memory that threads later
 * replies, and the contact's email log, in one statement. An inbound message is recorded
 * once however often it is filed.
 */
export async function recordOnTimeline(em: EntityManager, e: TimelineEntry): Promise<void> {
  const threadId = e.messageId ? normaliseMessageId(e.messageId) : null;
  await sqlOf(em)(
    `with rm as (
       insert into record_message (record_ref, direction, inbound_message_id, outbox_id, message_id, from_address, author, subject, body_new, body_quoted, signature)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (inbound_message_id) do nothing returning id),
     tm as (
       insert into thread_message_id (message_id, record_ref)
       select ?::text, ?::text where ?::text is not null on conflict do nothing)
     insert into email_log (contact_id, lead_id, record_ref, direction, subject, message_id, inbound_message_id, outbox_id)
     select ?::bigint, ?::bigint, ?, ?, ?, ?, ?::bigint, ?::bigint from rm`,
    [
      e.recordRef, e.direction, e.inboundMessageId ?? null, e.outboxId ?? null, e.messageId ?? null, e.fromAddress ?? null, e.author ?? null, e.subject ?? null,
      e.bodyNew ?? null, e.bodyQuoted ?? null, e.signature ?? null,
      threadId, e.recordRef, threadId,
      e.contactId ?? null, e.leadId ?? null, e.recordRef, e.direction, e.subject ?? null, e.messageId ?? null, e.inboundMessageId ?? null, e.outboxId ?? null,
    ],
    { name: 'timeline-record' },
  );
}
