/**
 * A record's timeline in the database: record_message (every message in and out),
 * thread_message_id (the Message-IDs that thread later replies) and email_log (the contact's
 * history), written together; also the SQL that reads a timeline entry's text.
 * Raw SQL: the three inserts are CTEs that one statement runs (here, in createTickets and in
 * the acknowledgement statement), so a record's message costs one round trip.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { normaliseMessageId } from '../threading/resolve-thread.ts';
import type { BodySplit } from '../threading/quote-split.ts';

/**
 * SQL for the text of timeline entry `m` (a record_message alias): an outbound message's
 * own text, else the new text of the inbound message it records (`part` picks another part
 * of the split). Reads inbound_message.parsed, so only for views, not hot paths.
 */
export function timelineBodySql(m: string, part: 'new' | 'quoted' | 'signature' = 'new'): string {
  const own = part === 'new' ? `${m}.body_new` : part === 'quoted' ? `${m}.body_quoted` : `${m}.signature`;
  return `coalesce(${own}, (select body_part(im.parsed->>'text', ${m}.body_split->'${part}') from inbound_message im where im.id = ${m}.inbound_message_id and ${m}.body_split is not null))`;
}

export interface TimelineEntry {
  recordRef: string;
  direction: 'in' | 'out';
  inboundMessageId?: string;
  outboxId?: string | null;
  messageId?: string;
  fromAddress?: string;
  author?: string;
  subject?: string;
  /** An outbound message's text; an inbound message's text is its inbound_message's (bodySplit). */
  bodyNew?: string;
  /** How an inbound message's text splits into new text, quoted history and signature. */
  bodySplit?: BodySplit;
  /** For the contact's (and lead's) email log. */
  contactId?: string | null;
  leadId?: string | null;
}

/**
 * The columns a timeline source relation has (see timelineCtes), as `json_to_recordset` reads
 * them. A statement that writes records builds its source from its own CTEs instead.
 */
const SOURCE_COLUMNS = `record_ref text, direction text, inbound_message_id bigint, outbox_id bigint, message_id text, thread_id text,
  from_address text, author text, subject text, body_new text, body_split jsonb, contact_id bigint, lead_id bigint`;

/** One source row's JSON, as timelineSource reads it; a statement can merge it into its own input rows. */
export function timelineSourceRow(e: Partial<TimelineEntry>): Record<string, unknown> {
  return {
    record_ref: e.recordRef ?? null,
    direction: e.direction ?? null,
    inbound_message_id: e.inboundMessageId ?? null,
    outbox_id: e.outboxId ?? null,
    message_id: e.messageId ?? null,
    thread_id: e.messageId ? normaliseMessageId(e.messageId) : null,
    from_address: e.fromAddress ?? null,
    author: e.author ?? null,
    subject: e.subject ?? null,
    body_new: e.bodyNew ?? null,
    body_split: e.bodySplit ?? null,
    contact_id: e.contactId ?? null,
    lead_id: e.leadId ?? null,
  };
}

/** A relation of timeline entries from JSON rows (one `?` parameter), for timelineCtes. */
export function timelineSource(extraColumns = ''): string {
  return `select * from json_to_recordset(?::json) as e(${SOURCE_COLUMNS}${extraColumns ? `, ${extraColumns}` : ''})`;
}

/**
 * recordOnTimeline's three inserts as CTEs (named `<name>_message`, `<name>_thread`,
 * `<name>_log`) over `source`, a relation (CTE) with one row per entry and the columns of
 * SOURCE_COLUMNS. A statement that also writes what the entries belong to (new tickets and
 * their first messages, acknowledgements) puts them on the timeline in the same round trip,
 * for one record or a whole batch.
 */
export function timelineCtes(name: string, source: string): string {
  return `${name}_message as (
       insert into record_message (record_ref, direction, inbound_message_id, outbox_id, message_id, from_address, author, subject, body_new, body_split)
       select record_ref, direction, inbound_message_id, outbox_id, message_id, from_address, author, subject, body_new, body_split from ${source}
       on conflict (inbound_message_id) do nothing returning id, record_ref, outbox_id, inbound_message_id),
     ${name}_thread as (
       insert into thread_message_id (message_id, record_ref)
       select thread_id, record_ref from ${source} where thread_id is not null on conflict do nothing),
     ${name}_log as (
       insert into email_log (contact_id, lead_id, record_ref, direction, subject, message_id, inbound_message_id, outbox_id)
       select s.contact_id, s.lead_id, s.record_ref, s.direction, s.subject, s.message_id, s.inbound_message_id, s.outbox_id
         from ${source} s join ${name}_message m on m.record_ref = s.record_ref
          and m.inbound_message_id is not distinct from s.inbound_message_id and m.outbox_id is not distinct from s.outbox_id)`;
}

/**
 * Puts one message on a record: its timeline, the Message-ID memory that threads later
 * replies, and the contact's email log, in one statement. An inbound message is recorded
 * once however often it is filed.
 */
export async function recordOnTimeline(em: EntityManager, e: TimelineEntry): Promise<void> {
  await sqlOf(em)(`with src as (${timelineSource()}), ${timelineCtes('entry', 'src')} select 1`, [JSON.stringify([timelineSourceRow(e)])], {
    name: 'timeline-record',
  });
}

/** The customer's last message on a record (its Message-ID) and the References chain it continued. */
export async function lastInboundMessageOf(em: EntityManager, recordRef: string): Promise<{ message_id: string; refs: string[] | null } | undefined> {
  const [last] = await sqlOf(em)<{ message_id: string; refs: string[] | null }>(
    `select m.message_id, im.parsed -> 'references' as refs
       from record_message m left join inbound_message im on im.id = m.inbound_message_id
      where m.record_ref = ? and m.direction = 'in' and m.message_id is not null
      order by m.created_at desc, m.id desc limit 1`,
    [recordRef],
  );
  return last;
}
