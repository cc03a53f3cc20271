import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { nextRefSql } from './record-ids.ts';
import { contactUpsertSql, type ContactInput, type ContactRow } from './contacts.ts';
import { timelineCtes, type TimelineEntry } from './timeline.ts';

export interface TicketRow {
  id: string;
  ref: string;
  subject: string;
  status: 'open' | 'pending' | 'closed';
  requester_id: string | null;
  organisation_id: string | null;
  language: string | null;
  acknowledged_at: Date | null;
}

/** The ticket and its requester as first participant, in one statement. */
/**
 * A new ticket, its requester's contact (created if new) and, given `firstMessage`, the message
 * that opened it on its timeline: one statement, the ID taken from the sequence inside it.
 */
export async function createTicket(
  em: EntityManager,
  t: {
    prefix: string;
    subject: string;
    requester: ContactInput;
    language: string;
    linkedRef?: string;
    firstMessage?: Omit<TimelineEntry, 'recordRef' | 'contactId'>;
  },
): Promise<TicketRow & { requester: ContactRow }> {
  const contact = contactUpsertSql(t.requester);
  const first = t.firstMessage ? timelineCtes('first', { ...t.firstMessage, recordRef: { sql: 'select ref from t' }, contactId: { sql: 'select id from c' } }) : null;
  const [row] = await sqlOf(em)<TicketRow & { c_id: string; c_email: string; c_name: string | null; c_organisation_id: string | null; c_roles: string[] }>(
    `with c as (${contact.sql}),
     t as (
       insert into ticket (ref, subject, requester_id, organisation_id, language, linked_ref)
       select ${nextRefSql('ticket')}, ?, c.id, c.organisation_id, ?, ? from c
       returning id, ref, subject, status, requester_id, organisation_id, language, acknowledged_at),
     p as (insert into ticket_participant (ticket_id, contact_id) select id, requester_id from t)
     ${first ? `, ${first.sql}` : ''}
     select t.*, c.id as c_id, c.email as c_email, c.name as c_name, c.organisation_id as c_organisation_id, c.roles as c_roles from t, c`,
    [...contact.params, t.prefix, t.subject, t.language, t.linkedRef ?? null, ...(first?.params ?? [])],
    { name: first ? 'ticket-create-with-message' : 'ticket-create' },
  );
  const { c_id, c_email, c_name, c_organisation_id, c_roles, ...ticket } = row!;
  return { ...ticket, requester: { id: c_id, email: c_email, name: c_name, organisation_id: c_organisation_id, roles: c_roles } };
}

export async function findTicket(em: EntityManager, ref: string): Promise<TicketRow | null> {
  const [row] = await sqlOf(em)<TicketRow>(
    'select id, ref, subject, status, requester_id, organisation_id, language, acknowledged_at from ticket where ref = ?',
    [ref.toUpperCase()],
  );
  return row ?? null;
}

export async function addParticipant(em: EntityManager, ticketId: string, contactId: string): Promise<void> {
  await sqlOf(em)('insert into ticket_participant (ticket_id, contact_id) values (?, ?) on conflict do nothing', [ticketId, contactId]);
}

