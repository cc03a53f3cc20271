/**
 * What the CLI shows of tickets and leads: `list*` one flat row per record, `show*` one record
 * with what belongs to it (participants, attachments, timeline). Queries: case-view-store.ts.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { iso, type View } from './view-values.ts';
import {
  leadListRows,
  leadViewRow,
  recordAttachmentRows,
  ticketListRows,
  ticketParticipantRows,
  ticketViewRow,
  timelineViewRows,
  type LeadListRow,
  type TicketListRow,
} from './case-view-store.ts';

function ticketRow(r: TicketListRow): View {
  return {
    ref: r.ref,
    subject: r.subject,
    status: r.status,
    priority: r.priority,
    requester: r.requester_email,
    requesterName: r.requester_name,
    organisation: r.organisation,
    language: r.language,
    linkedRef: r.linked_ref,
    messages: Number(r.messages),
    lastMessageAt: iso(r.last_message_at),
    acknowledgedAt: iso(r.acknowledged_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export async function listTickets(em: EntityManager, opts: { status?: string; limit?: number } = {}): Promise<View[]> {
  const rows = await ticketListRows(em, { status: opts.status ?? null, limit: opts.limit ?? 100 });
  return rows.map(ticketRow);
}

/** A record's timeline: every message in and out, oldest first, with attachment names. */
async function timeline(em: EntityManager, ref: string): Promise<View[]> {
  const rows = await timelineViewRows(em, ref);
  return rows.map((m) => ({
    id: m.id,
    direction: m.direction,
    at: iso(m.created_at),
    from: m.from_address,
    author: m.author,
    subject: m.subject,
    messageId: m.message_id,
    body: m.body_new,
    inboundMessageId: m.inbound_message_id,
    outboxId: m.outbox_id,
    deliveryStatus: m.outbox_status,
    attachments: m.attachments ?? [],
  }));
}

async function recordAttachments(em: EntityManager, ref: string): Promise<View[]> {
  const rows = await recordAttachmentRows(em, ref);
  return rows.map((a) => ({ filename: a.filename, contentType: a.content_type, size: Number(a.size), inline: a.inline, sha256: a.sha256, inboundMessageId: a.inbound_message_id }));
}

export async function showTicket(em: EntityManager, ref: string): Promise<View | null> {
  const row = await ticketViewRow(em, ref.toUpperCase());
  if (!row) return null;
  const participants = await ticketParticipantRows(em, row.id);
  return {
    ...ticketRow(row),
    requesterId: row.requester_id,
    organisationId: row.organisation_id,
    participants: participants.map((p) => ({ contactId: p.id, email: p.email, name: p.name })),
    attachments: await recordAttachments(em, row.ref),
    timeline: await timeline(em, row.ref),
  };
}

function leadRow(r: LeadListRow): View {
  return {
    ref: r.ref,
    source: r.source,
    status: r.status,
    subject: r.subject,
    contact: r.contact_email,
    contactName: r.contact_name,
    organisation: r.organisation,
    dealer: r.dealer,
    dealerNumber: r.dealer_number,
    language: r.language,
    acknowledgedAt: iso(r.acknowledged_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export async function listLeads(em: EntityManager, opts: { status?: string; limit?: number } = {}): Promise<View[]> {
  const rows = await leadListRows(em, { status: opts.status ?? null, limit: opts.limit ?? 100 });
  return rows.map(leadRow);
}

export async function showLead(em: EntityManager, ref: string): Promise<View | null> {
  const row = await leadViewRow(em, ref.toUpperCase());
  if (!row) return null;
  return {
    ...leadRow(row),
    contactId: row.contact_id,
    organisationId: row.organisation_id,
    formData: row.form_data,
    attachments: await recordAttachments(em, row.ref),
    timeline: await timeline(em, row.ref),
  };
}
