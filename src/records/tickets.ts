import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { nextRefSql } from './record-ids.ts';

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
export async function createTicket(
  em: EntityManager,
  t: { prefix: string; subject: string; requesterId: string; organisationId: string | null; language: string; linkedRef?: string },
): Promise<TicketRow> {
  const [row] = await sqlOf(em)<TicketRow>(
    `with t as (
       insert into ticket (ref, subject, requester_id, organisation_id, language, linked_ref) values (${nextRefSql('ticket')}, ?, ?, ?, ?, ?)
       returning id, ref, subject, status, requester_id, organisation_id, language, acknowledged_at),
     p as (insert into ticket_participant (ticket_id, contact_id) select id, requester_id from t)
     select * from t`,
    [t.prefix, t.subject, t.requesterId, t.organisationId, t.language, t.linkedRef ?? null],
    { name: 'ticket-create' },
  );
  return row!;
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

