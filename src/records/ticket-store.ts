/**
 * Named queries over tickets: the batch that opens new tickets (with requesters, participants
 * and first messages, one statement), lookups by ref, participants, status changes, and the
 * summary `/mailroom <ID>` shows.
 * Raw SQL: createTickets writes a batch of tickets, contacts, participants and timeline entries
 * in one round trip; the rest keeps the statements the services ran before.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { refFormatSql, sequenceOf } from './record-ids.ts';
import { contactUpsertSql, contactInputRow, CONTACT_INPUT_COLUMNS, type ContactInput, type ContactRow } from './contact-store.ts';
import { timelineCtes, timelineSource, timelineSourceRow, type TimelineEntry } from './timeline-store.ts';

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

export interface NewTicket {
  subject: string;
  requester: ContactInput;
  language: string;
  linkedRef?: string;
  /** The message that opened the ticket, put on its timeline. */
  firstMessage: Omit<TimelineEntry, 'recordRef' | 'contactId'>;
}

export type CreatedTicket = TicketRow & { requester: ContactRow };

/**
 * New tickets, each with its requester's contact (created if new), the requester as first
 * participant and the message that opened it (`firstMessage`) on its timeline: one
 * statement for all of them, the IDs taken from the sequence inside it in the order given.
 * Requesters must be distinct (one upsert cannot touch a contact twice). Results are in the
 * order of `tickets`.
 */
export async function createTickets(em: EntityManager, prefix: string, tickets: NewTicket[]): Promise<CreatedTicket[]> {
  if (tickets.length === 0) return [];
  const input = tickets.map((t, ord) => ({
    ...timelineSourceRow(t.firstMessage),
    ...contactInputRow(t.requester, ord),
    ticket_subject: t.subject,
    language: t.language,
    linked_ref: t.linkedRef ?? null,
  }));
  if (new Set(input.map((r) => r.email)).size !== input.length) throw new Error('createTickets: one requester per ticket in a batch');
  const rows = await sqlOf(em)<TicketRow & { ord: number; c_id: string; c_email: string; c_name: string | null; c_organisation_id: string | null; c_roles: string[] }>(
    `with input as (${timelineSource(`${CONTACT_INPUT_COLUMNS}, ticket_subject text, language text, linked_ref text`)}),
     c as (${contactUpsertSql('input')}),
     t as (
       insert into ticket (ref, subject, requester_id, organisation_id, language, linked_ref)
       select ${refFormatSql('n')}, ticket_subject, contact_id, contact_organisation_id, language, linked_ref
         from (select i.ord, i.ticket_subject, i.language, i.linked_ref, c.id as contact_id, c.organisation_id as contact_organisation_id, nextval('${sequenceOf('ticket')}') as n
                 from input i join c on c.email = i.email order by i.ord) as numbered
       returning id, ref, subject, status, requester_id, organisation_id, language, acknowledged_at),
     p as (insert into ticket_participant (ticket_id, contact_id) select id, requester_id from t),
     joined as (select i.ord, t.*, c.id as c_id, c.email as c_email, c.name as c_name, c.organisation_id as c_organisation_id, c.roles as c_roles
                  from input i join c on c.email = i.email join t on t.requester_id = c.id),
     opening as (
       select t.ref as record_ref, i.direction, i.inbound_message_id, i.outbox_id, i.message_id, i.thread_id, i.from_address, i.author, i.subject,
              i.body_new, i.body_split, t.c_id as contact_id, i.lead_id
         from input i join joined t on t.ord = i.ord),
     ${timelineCtes('opening', 'opening')}
     select * from joined order by ord`,
    [JSON.stringify(input), prefix],
    { name: 'tickets-create' },
  );
  return rows.map(({ ord: _ord, c_id, c_email, c_name, c_organisation_id, c_roles, ...ticket }: any) => ({
    ...ticket,
    requester: { id: c_id, email: c_email, name: c_name, organisation_id: c_organisation_id, roles: c_roles },
  }));
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

/** A customer writing on a closed ticket wants it looked at again: a closed ticket reopens; any ticket is touched. */
export async function reopenTicketOnReply(em: EntityManager, ticketId: string): Promise<void> {
  await sqlOf(em)(`update ticket set status = case when status = 'closed' then 'open' else status end, updated_at = now() where id = ?`, [ticketId]);
}

/** Marks a ticket as changed now (a staff reply went out). */
export async function touchTicket(em: EntityManager, ticketId: string): Promise<void> {
  await sqlOf(em)('update ticket set updated_at = now() where id = ?', [ticketId]);
}

/** Closes a ticket (moved to another queue by staff). */
export async function closeTicket(em: EntityManager, ticketId: string): Promise<void> {
  await sqlOf(em)(`update ticket set status = 'closed', updated_at = now() where id = ?`, [ticketId]);
}

/** A ticket with its requester's address and name, locked for the rest of the transaction. */
export async function lockTicketWithRequester(
  em: EntityManager,
  ref: string,
): Promise<{ id: string; ref: string; subject: string; status: string; requester_id: string | null; email: string | null; name: string | null } | undefined> {
  const [ticket] = await sqlOf(em)<{ id: string; ref: string; subject: string; status: string; requester_id: string | null; email: string | null; name: string | null }>(
    `select t.id, t.ref, t.subject, t.status, t.requester_id, c.email, c.name
       from ticket t left join contact c on c.id = t.requester_id where t.ref = ? for update of t`,
    [ref],
  );
  return ticket;
}

/**
 * Sets a ticket's status (updated_at moves only when the status changes); returns its ref and
 * the status before, or undefined when there is no such ticket.
 */
export async function setTicketStatus(em: EntityManager, ref: string, status: 'open' | 'pending' | 'closed'): Promise<{ ref: string; before: string } | undefined> {
  const [row] = await sqlOf(em)<{ ref: string; before: string }>(
    `update ticket t set status = ?, updated_at = case when t.status = ? then t.updated_at else now() end
       from (select id, status as before from ticket where ref = ? for update) old
      where t.id = old.id returning t.ref, old.before`,
    [status, status, ref],
  );
  return row;
}

/** What `/mailroom <ID>` says of a ticket: status, subject, organisation, message count, dates. */
export async function ticketSummary(
  em: EntityManager,
  ref: string,
): Promise<{ ref: string; status: string; subject: string; org: string | null; created_at: Date; updated_at: Date; messages: string } | undefined> {
  const [t] = await sqlOf(em)<{ ref: string; status: string; subject: string; org: string | null; created_at: Date; updated_at: Date; messages: string }>(
    `select t.ref, t.status, t.subject, o.name as org, t.created_at, t.updated_at,
            (select count(*) from record_message m where m.record_ref = t.ref) as messages
       from ticket t left join organisation o on o.id = t.organisation_id where t.ref = ?`,
    [ref],
  );
  return t;
}
