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

/** A value computed inside the same statement (another CTE's output), instead of a parameter. */
export interface SqlExpr {
  sql: string;
}

type Bound<T> = T | SqlExpr | null | undefined;

/**
 * recordOnTimeline's three inserts as CTEs (named `<name>_message`, `<name>_thread`,
 * `<name>_log`), for a statement that also writes what the entry belongs to: a new ticket and
 * its first message, or an acknowledgement and its timeline entry, cost one statement each.
 * `recordRef`, `outboxId` and `contactId` may be expressions over the statement's other CTEs;
 * `when` (SQL) makes the entry conditional.
 */
export function timelineCtes(
  name: string,
  e: Omit<TimelineEntry, 'recordRef' | 'outboxId' | 'contactId'> & { recordRef: Bound<string>; outboxId?: Bound<string>; contactId?: Bound<string> },
  when = 'true',
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const v = (value: unknown, cast: string) => {
    if (value && typeof value === 'object' && 'sql' in value) return `(${(value as SqlExpr).sql})::${cast}`;
    params.push(value ?? null);
    return `?::${cast}`;
  };
  const threadId = e.messageId ? normaliseMessageId(e.messageId) : null;
  const ref = (x: Bound<string>) => v(x, 'text');
  const sql = `${name}_message as (
       insert into record_message (record_ref, direction, inbound_message_id, outbox_id, message_id, from_address, author, subject, body_new, body_quoted, signature)
       select ${ref(e.recordRef)}, ${v(e.direction, 'text')}, ${v(e.inboundMessageId, 'bigint')}, ${v(e.outboxId, 'bigint')}, ${v(e.messageId, 'text')},
              ${v(e.fromAddress, 'text')}, ${v(e.author, 'text')}, ${v(e.subject, 'text')}, ${v(e.bodyNew, 'text')}, ${v(e.bodyQuoted, 'text')}, ${v(e.signature, 'text')}
        where ${when}
       on conflict (inbound_message_id) do nothing returning id),
     ${name}_thread as (
       insert into thread_message_id (message_id, record_ref)
       select ${v(threadId, 'text')}, ${ref(e.recordRef)} where ${v(threadId, 'text')} is not null and ${when} on conflict do nothing),
     ${name}_log as (
       insert into email_log (contact_id, lead_id, record_ref, direction, subject, message_id, inbound_message_id, outbox_id)
       select ${v(e.contactId, 'bigint')}, ${v(e.leadId, 'bigint')}, ${ref(e.recordRef)}, ${v(e.direction, 'text')}, ${v(e.subject, 'text')},
              ${v(e.messageId, 'text')}, ${v(e.inboundMessageId, 'bigint')}, ${v(e.outboxId, 'bigint')} from ${name}_message)`;
  return { sql, params };
}

/**
 * Puts one message on a record: its timeline, the Message-ID memory that threads later
 * replies, and the contact's email log, in one statement. An inbound message is recorded
 * once however often it is filed.
 */
export async function recordOnTimeline(em: EntityManager, e: TimelineEntry): Promise<void> {
  const entry = timelineCtes('entry', e);
  await sqlOf(em)(`with ${entry.sql} select 1`, entry.params, { name: 'timeline-record' });
}
