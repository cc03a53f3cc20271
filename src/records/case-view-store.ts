/**
 * The queries behind the ticket and lead views (case-views.ts): lists, one case, its timeline and attachments.
 * Raw SQL: joins, counts and JSON reads shaped for the view, each one statement.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { timelineBodySql } from './timeline-store.ts';

export interface TicketListRow {
  ref: string;
  subject: string;
  status: string;
  priority: string;
  requester_email: string | null;
  requester_name: string | null;
  organisation: string | null;
  language: string | null;
  linked_ref: string | null;
  messages: string;
  last_message_at: Date | null;
  acknowledged_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const ticketSelect = `
  select t.ref, t.subject, t.status, t.priority, c.email as requester_email, c.name as requester_name, o.name as organisation,
         t.language, t.linked_ref, t.acknowledged_at, t.created_at, t.updated_at,
         (select count(*) from record_message m where m.record_ref = t.ref) as messages,
         (select max(m.created_at) from record_message m where m.record_ref = t.ref) as last_message_at
    from ticket t
    left join contact c on c.id = t.requester_id
    left join organisation o on o.id = t.organisation_id`;

/** Tickets, newest first, of one status when given. */
export async function ticketListRows(em: EntityManager, f: { status: string | null; limit: number }): Promise<TicketListRow[]> {
  return sqlOf(em)<TicketListRow>(`${ticketSelect} where (?::text is null or t.status = ?) order by t.id desc limit ?`, [f.status, f.status, f.limit]);
}

/** One ticket by ref (upper case), with its row id, requester and organisation ids. */
export async function ticketViewRow(
  em: EntityManager,
  ref: string,
): Promise<(TicketListRow & { id: string; requester_id: string | null; organisation_id: string | null }) | undefined> {
  const [row] = await sqlOf(em)<TicketListRow & { id: string; requester_id: string | null; organisation_id: string | null }>(
    `${ticketSelect.replace('select t.ref', 'select t.id, t.requester_id, t.organisation_id, t.ref')} where t.ref = ?`,
    [ref],
  );
  return row;
}

/** A ticket's participants, by address. */
export async function ticketParticipantRows(em: EntityManager, ticketId: string): Promise<{ id: string; email: string; name: string | null }[]> {
  return sqlOf(em)<{ id: string; email: string; name: string | null }>(
    `select c.id, c.email, c.name from ticket_participant tp join contact c on c.id = tp.contact_id where tp.ticket_id = ? order by c.email`,
    [ticketId],
  );
}

export interface TimelineViewRow {
  id: string;
  direction: string;
  created_at: Date;
  from_address: string | null;
  author: string | null;
  subject: string | null;
  message_id: string | null;
  body_new: string | null;
  inbound_message_id: string | null;
  outbox_id: string | null;
  outbox_status: string | null;
  attachments: string[] | null;
}

/** A record's timeline: every message in and out, oldest first, with its text, delivery status and attachment names. */
export async function timelineViewRows(em: EntityManager, ref: string): Promise<TimelineViewRow[]> {
  return sqlOf(em)<TimelineViewRow>(
    `select m.id, m.direction, m.created_at, m.from_address, m.author, m.subject, m.message_id, ${timelineBodySql('m')} as body_new,
            m.inbound_message_id, m.outbox_id, ob.status as outbox_status,
            (select array_agg(coalesce(a.filename, '(unnamed ' || a.content_type || ')') order by a.position)
               from attachment a where a.inbound_message_id = m.inbound_message_id) as attachments
       from record_message m left join outbox_message ob on ob.id = m.outbox_id
      where m.record_ref = ? order by m.created_at, m.id`,
    [ref],
  );
}

/** The attachments of a record's inbound messages, in message and position order. */
export async function recordAttachmentRows(
  em: EntityManager,
  ref: string,
): Promise<{ filename: string | null; content_type: string; size: string; inline: boolean; sha256: string; inbound_message_id: string }[]> {
  return sqlOf(em)<{ filename: string | null; content_type: string; size: string; inline: boolean; sha256: string; inbound_message_id: string }>(
    `select a.filename, a.content_type, a.size, a.inline, a.sha256, a.inbound_message_id
       from attachment a join record_message m on m.inbound_message_id = a.inbound_message_id
      where m.record_ref = ? order by a.inbound_message_id, a.position`,
    [ref],
  );
}

export interface LeadListRow {
  id: string;
  ref: string;
  source: string;
  status: string;
  subject: string;
  contact_email: string | null;
  contact_name: string | null;
  organisation: string | null;
  dealer: string | null;
  dealer_number: string | null;
  language: string | null;
  form_data: Record<string, unknown> | null;
  contact_id: string | null;
  organisation_id: string | null;
  acknowledged_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const leadSelect = `
  select l.id, l.ref, l.source, l.status, l.subject, c.email as contact_email, c.name as contact_name, o.name as organisation,
         d.name as dealer, d.dealer_number, l.language, l.form_data, l.contact_id, l.organisation_id,
         l.acknowledged_at, l.created_at, l.updated_at
    from lead l
    left join contact c on c.id = l.contact_id
    left join organisation o on o.id = l.organisation_id
    left join organisation d on d.id = l.dealer_id`;

/** Leads, newest first, of one status when given. */
export async function leadListRows(em: EntityManager, f: { status: string | null; limit: number }): Promise<LeadListRow[]> {
  return sqlOf(em)<LeadListRow>(`${leadSelect} where (?::text is null or l.status = ?) order by l.id desc limit ?`, [f.status, f.status, f.limit]);
}

/** One lead by ref (upper case). */
export async function leadViewRow(em: EntityManager, ref: string): Promise<LeadListRow | undefined> {
  const [row] = await sqlOf(em)<LeadListRow>(`${leadSelect} where l.ref = ?`, [ref]);
  return row;
}
