import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

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

export async function createTicket(
  em: EntityManager,
  t: { ref: string; subject: string; requesterId: string; organisationId: string | null; language: string; linkedRef?: string },
): Promise<TicketRow> {
  const sql = sqlOf(em);
  const [row] = await sql<TicketRow>(
    `insert into ticket (ref, subject, requester_id, organisation_id, language, linked_ref) values (?, ?, ?, ?, ?, ?)
     returning id, ref, subject, status, requester_id, organisation_id, language, acknowledged_at`,
    [t.ref, t.subject, t.requesterId, t.organisationId, t.language, t.linkedRef ?? null],
  );
  await addParticipant(em, row!.id, t.requesterId);
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

export async function setTicketStatus(em: EntityManager, ref: string, status: TicketRow['status']): Promise<boolean> {
  const rows = await sqlOf(em)('update ticket set status = ?, updated_at = now() where ref = ? returning id', [status, ref.toUpperCase()]);
  return rows.length > 0;
}

export interface RecordMessageInput {
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
}

/** Adds a message to a record's timeline; an inbound message is added once however often it is filed. */
export async function addRecordMessage(em: EntityManager, m: RecordMessageInput): Promise<void> {
  await sqlOf(em)(
    `insert into record_message (record_ref, direction, inbound_message_id, outbox_id, message_id, from_address, author, subject, body_new, body_quoted, signature)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (inbound_message_id) do nothing`,
    [m.recordRef, m.direction, m.inboundMessageId ?? null, m.outboxId ?? null, m.messageId ?? null, m.fromAddress ?? null, m.author ?? null, m.subject ?? null, m.bodyNew ?? null, m.bodyQuoted ?? null, m.signature ?? null],
  );
}

export async function logEmail(
  em: EntityManager,
  e: { contactId?: string | null; leadId?: string | null; recordRef?: string; direction: 'in' | 'out'; subject?: string; messageId?: string; inboundMessageId?: string; outboxId?: string | null },
): Promise<void> {
  await sqlOf(em)(
    `insert into email_log (contact_id, lead_id, record_ref, direction, subject, message_id, inbound_message_id, outbox_id) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    [e.contactId ?? null, e.leadId ?? null, e.recordRef ?? null, e.direction, e.subject ?? null, e.messageId ?? null, e.inboundMessageId ?? null, e.outboxId ?? null],
  );
}
