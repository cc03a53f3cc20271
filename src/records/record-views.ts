/**
 * What the CLI (and later Slack/HTTP) shows of each record kind: plain objects with stable,
 * camelCase field names. `list*` gives one flat row per record; `show*` gives one record with
 * what belongs to it (timeline, participants, attachments, email log).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, type Sql } from '../db/sql.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { timelineBodySql } from './timeline-store.ts';

export type View = Record<string, unknown>;

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
const num = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));

/** Whether a table exists (tables of later migrations are shown only when present). */
async function hasTable(sql: Sql, table: string): Promise<boolean> {
  const [row] = await sql<{ ok: boolean }>('select to_regclass(?) is not null as ok', [table]);
  return !!row?.ok;
}

// ---------------------------------------------------------------------------------------
// Tickets
// ---------------------------------------------------------------------------------------

interface TicketListRow {
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
  const rows = await sqlOf(em)<TicketListRow>(
    `${ticketSelect} where (?::text is null or t.status = ?) order by t.id desc limit ?`,
    [opts.status ?? null, opts.status ?? null, opts.limit ?? 100],
  );
  return rows.map(ticketRow);
}

/** A record's timeline: every message in and out, oldest first, with attachment names. */
async function timeline(sql: Sql, ref: string): Promise<View[]> {
  const rows = await sql<{
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
  }>(
    `select m.id, m.direction, m.created_at, m.from_address, m.author, m.subject, m.message_id, ${timelineBodySql('m')} as body_new,
            m.inbound_message_id, m.outbox_id, ob.status as outbox_status,
            (select array_agg(coalesce(a.filename, '(unnamed ' || a.content_type || ')') order by a.position)
               from attachment a where a.inbound_message_id = m.inbound_message_id) as attachments
       from record_message m left join outbox_message ob on ob.id = m.outbox_id
      where m.record_ref = ? order by m.created_at, m.id`,
    [ref],
  );
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

async function recordAttachments(sql: Sql, ref: string): Promise<View[]> {
  const rows = await sql<{ filename: string | null; content_type: string; size: string; inline: boolean; sha256: string; inbound_message_id: string }>(
    `select a.filename, a.content_type, a.size, a.inline, a.sha256, a.inbound_message_id
       from attachment a join record_message m on m.inbound_message_id = a.inbound_message_id
      where m.record_ref = ? order by a.inbound_message_id, a.position`,
    [ref],
  );
  return rows.map((a) => ({ filename: a.filename, contentType: a.content_type, size: Number(a.size), inline: a.inline, sha256: a.sha256, inboundMessageId: a.inbound_message_id }));
}

export async function showTicket(em: EntityManager, ref: string): Promise<View | null> {
  const sql = sqlOf(em);
  const [row] = await sql<TicketListRow & { id: string; requester_id: string | null; organisation_id: string | null }>(
    `${ticketSelect.replace('select t.ref', 'select t.id, t.requester_id, t.organisation_id, t.ref')} where t.ref = ?`,
    [ref.toUpperCase()],
  );
  if (!row) return null;
  const participants = await sql<{ id: string; email: string; name: string | null }>(
    `select c.id, c.email, c.name from ticket_participant tp join contact c on c.id = tp.contact_id where tp.ticket_id = ? order by c.email`,
    [row.id],
  );
  return {
    ...ticketRow(row),
    requesterId: row.requester_id,
    organisationId: row.organisation_id,
    participants: participants.map((p) => ({ contactId: p.id, email: p.email, name: p.name })),
    attachments: await recordAttachments(sql, row.ref),
    timeline: await timeline(sql, row.ref),
  };
}

// ---------------------------------------------------------------------------------------
// Leads
// ---------------------------------------------------------------------------------------

interface LeadListRow {
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
  const rows = await sqlOf(em)<LeadListRow>(`${leadSelect} where (?::text is null or l.status = ?) order by l.id desc limit ?`, [
    opts.status ?? null,
    opts.status ?? null,
    opts.limit ?? 100,
  ]);
  return rows.map(leadRow);
}

export async function showLead(em: EntityManager, ref: string): Promise<View | null> {
  const sql = sqlOf(em);
  const [row] = await sql<LeadListRow>(`${leadSelect} where l.ref = ?`, [ref.toUpperCase()]);
  if (!row) return null;
  return {
    ...leadRow(row),
    contactId: row.contact_id,
    organisationId: row.organisation_id,
    formData: row.form_data,
    attachments: await recordAttachments(sql, row.ref),
    timeline: await timeline(sql, row.ref),
  };
}

// ---------------------------------------------------------------------------------------
// Contacts and organisations
// ---------------------------------------------------------------------------------------

interface ContactListRow {
  id: string;
  email: string;
  name: string | null;
  title: string | null;
  phone: string | null;
  organisation_id: string | null;
  organisation: string | null;
  roles: string[];
  language: string | null;
  external_ref: string | null;
  tickets: string;
  leads: string;
  created_at: Date;
  updated_at: Date;
}

const contactSelect = `
  select c.id, c.email, c.name, c.title, c.phone, c.organisation_id, o.name as organisation, c.roles, c.language, c.external_ref,
         c.created_at, c.updated_at,
         (select count(*) from ticket t where t.requester_id = c.id) as tickets,
         (select count(*) from lead l where l.contact_id = c.id) as leads
    from contact c left join organisation o on o.id = c.organisation_id`;

function contactRow(r: ContactListRow): View {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    title: r.title,
    phone: r.phone,
    organisationId: r.organisation_id,
    organisation: r.organisation,
    roles: r.roles ?? [],
    language: r.language,
    externalRef: r.external_ref,
    tickets: Number(r.tickets),
    leads: Number(r.leads),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export async function listContacts(em: EntityManager, opts: { organisation?: string; search?: string; limit?: number } = {}): Promise<View[]> {
  const like = opts.search ? `%${opts.search.toLowerCase()}%` : null;
  const rows = await sqlOf(em)<ContactListRow>(
    `${contactSelect}
      where (?::bigint is null or c.organisation_id = ?)
        and (?::text is null or c.email like ? or lower(coalesce(c.name, '')) like ?)
      order by c.email limit ?`,
    [opts.organisation ?? null, opts.organisation ?? null, like, like, like, opts.limit ?? 500],
  );
  return rows.map(contactRow);
}

/** A contact by id (digits) or by email address. */
export async function showContact(em: EntityManager, idOrEmail: string): Promise<View | null> {
  const sql = sqlOf(em);
  const byId = /^\d+$/.test(idOrEmail.trim());
  const [row] = await sql<ContactListRow>(`${contactSelect} where ${byId ? 'c.id = ?' : 'c.email = ?'}`, [byId ? idOrEmail.trim() : normaliseAddress(idOrEmail)]);
  if (!row) return null;
  const tickets = await sql<{ ref: string; subject: string; status: string; created_at: Date; role: string }>(
    `select t.ref, t.subject, t.status, t.created_at, case when t.requester_id = ? then 'requester' else 'participant' end as role
       from ticket t where t.requester_id = ? or exists (select 1 from ticket_participant tp where tp.ticket_id = t.id and tp.contact_id = ?)
      order by t.id`,
    [row.id, row.id, row.id],
  );
  const leads = await sql<{ ref: string; subject: string; status: string; source: string; created_at: Date }>(
    'select ref, subject, status, source, created_at from lead where contact_id = ? order by id',
    [row.id],
  );
  const log = await sql<{ at: Date; direction: string; record_ref: string | null; subject: string | null; message_id: string | null }>(
    'select at, direction, record_ref, subject, message_id from email_log where contact_id = ? order by at, id',
    [row.id],
  );
  const view: View = {
    ...contactRow(row),
    tickets: tickets.map((t) => ({ ref: t.ref, subject: t.subject, status: t.status, role: t.role, createdAt: iso(t.created_at) })),
    leads: leads.map((l) => ({ ref: l.ref, subject: l.subject, status: l.status, source: l.source, createdAt: iso(l.created_at) })),
    emailLog: log.map((e) => ({ at: iso(e.at), direction: e.direction, recordRef: e.record_ref, subject: e.subject, messageId: e.message_id })),
  };
  if (await hasTable(sql, 'customer_order')) {
    const orders = await sql<{ order_number: string; order_date: string }>(
      `select order_number, order_date::text as order_date from customer_order where buyer_contact_id = ? or buyer_email = ? order by order_date, order_number`,
      [row.id, row.email],
    );
    view.orders = orders.map((o) => ({ number: o.order_number, date: o.order_date }));
    const portal = await sql<{ username: string; superuser: boolean }>('select username, superuser from portal_user where contact_id = ? or email = ? order by username', [row.id, row.email]);
    view.portalUsers = portal.map((p) => ({ username: p.username, superuser: p.superuser }));
    const projects = await sql<{ project: string; role: string | null }>('select project, role from project_participant where contact_id = ? or email = ? order by project', [row.id, row.email]);
    view.projects = projects.map((p) => ({ project: p.project, role: p.role }));
  }
  return view;
}

interface OrganisationListRow {
  id: string;
  name: string;
  kind: string;
  domain: string | null;
  dealer_number: string | null;
  external_ref: string | null;
  contacts: string;
  tickets: string;
  leads: string;
  created_at: Date;
  updated_at: Date;
}

const organisationSelect = `
  select o.id, o.name, o.kind, o.domain, o.dealer_number, o.external_ref, o.created_at, o.updated_at,
         (select count(*) from contact c where c.organisation_id = o.id) as contacts,
         (select count(*) from ticket t where t.organisation_id = o.id) as tickets,
         (select count(*) from lead l where l.organisation_id = o.id or l.dealer_id = o.id) as leads
    from organisation o`;

function organisationRow(r: OrganisationListRow): View {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    domain: r.domain,
    dealerNumber: r.dealer_number,
    externalRef: r.external_ref,
    contacts: Number(r.contacts),
    tickets: Number(r.tickets),
    leads: Number(r.leads),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export async function listOrganisations(em: EntityManager, opts: { kind?: string; limit?: number } = {}): Promise<View[]> {
  const rows = await sqlOf(em)<OrganisationListRow>(`${organisationSelect} where (?::text is null or o.kind = ?) order by o.name, o.id limit ?`, [
    opts.kind ?? null,
    opts.kind ?? null,
    opts.limit ?? 500,
  ]);
  return rows.map(organisationRow);
}

/** An organisation by id, external ref, domain, dealer number or exact name. */
export async function showOrganisation(em: EntityManager, key: string): Promise<View | null> {
  const sql = sqlOf(em);
  const k = key.trim();
  const [row] = await sql<OrganisationListRow>(
    `${organisationSelect}
      where (o.id::text = ? ) or o.external_ref = ? or o.domain = lower(?) or o.dealer_number = ? or lower(o.name) = lower(?)
      order by (o.id::text = ?) desc, (o.external_ref = ?) desc limit 1`,
    [k, k, k, k, k, k, k],
  );
  if (!row) return null;
  const contacts = await sql<{ id: string; email: string; name: string | null; roles: string[] }>('select id, email, name, roles from contact where organisation_id = ? order by email', [row.id]);
  const tickets = await sql<{ ref: string; subject: string; status: string; created_at: Date }>('select ref, subject, status, created_at from ticket where organisation_id = ? order by id', [row.id]);
  const leads = await sql<{ ref: string; subject: string; status: string; created_at: Date; as_dealer: boolean }>(
    'select ref, subject, status, created_at, (dealer_id = ?) as as_dealer from lead where organisation_id = ? or dealer_id = ? order by id',
    [row.id, row.id, row.id],
  );
  const view: View = {
    ...organisationRow(row),
    contacts: contacts.map((c) => ({ id: c.id, email: c.email, name: c.name, roles: c.roles ?? [] })),
    tickets: tickets.map((t) => ({ ref: t.ref, subject: t.subject, status: t.status, createdAt: iso(t.created_at) })),
    leads: leads.map((l) => ({ ref: l.ref, subject: l.subject, status: l.status, viaDealer: !!l.as_dealer, createdAt: iso(l.created_at) })),
  };
  if (await hasTable(sql, 'customer_order')) {
    const orders = await sql<{ order_number: string; order_date: string; buyer_name: string | null; lines: unknown[] }>(
      'select order_number, order_date::text as order_date, buyer_name, lines from customer_order where buyer_organisation_id = ? order by order_date, order_number',
      [row.id],
    );
    view.orders = orders.map((o) => ({ number: o.order_number, date: o.order_date, buyer: o.buyer_name, lines: Array.isArray(o.lines) ? o.lines.length : 0 }));
  }
  return view;
}

// ---------------------------------------------------------------------------------------
// Triage
// ---------------------------------------------------------------------------------------

export async function listTriage(em: EntityManager, opts: { state?: string; limit?: number } = {}): Promise<View[]> {
  const state = opts.state === 'all' ? null : (opts.state ?? 'open');
  const rows = await sqlOf(em)<{
    id: string;
    state: string;
    suggested_route: string;
    reason: string;
    scores: Record<string, unknown> | null;
    resolution: string | null;
    resolved_by: string | null;
    record_ref: string | null;
    created_at: Date;
    resolved_at: Date | null;
    inbound_message_id: string;
    subject: string | null;
    from_address: string | null;
    language: string | null;
  }>(
    `select ti.*, im.subject, im.from_address, im.language
       from triage_item ti join inbound_message im on im.id = ti.inbound_message_id
      where (?::text is null or ti.state = ?) order by ti.id limit ?`,
    [state, state, opts.limit ?? 500],
  );
  return rows.map((r) => ({
    id: r.id,
    state: r.state,
    suggestedRoute: r.suggested_route,
    reason: r.reason,
    subject: r.subject,
    from: r.from_address,
    language: r.language ?? ((r.scores?.language as string | undefined) ?? null),
    inboundMessageId: r.inbound_message_id,
    resolution: r.resolution,
    resolvedBy: r.resolved_by,
    recordRef: r.record_ref,
    createdAt: iso(r.created_at),
    resolvedAt: iso(r.resolved_at),
  }));
}

// ---------------------------------------------------------------------------------------
// Inbound messages and quarantine
// ---------------------------------------------------------------------------------------

interface InboundRow {
  id: string;
  source: string;
  mailbox: string | null;
  uid: string | null;
  message_id: string | null;
  state: string;
  outcome: string | null;
  record_ref: string | null;
  subject: string | null;
  from_address: string | null;
  automated_kind: string | null;
  automated_reason: string | null;
  language: string | null;
  problems: string[] | null;
  attachments: string;
  attempts: number;
  last_error: string | null;
  archive: boolean;
  duplicate_of: string | null;
  size: string;
  received_at: Date;
  filed_at: Date | null;
  next_attempt_at: Date;
  has_parsed: boolean;
}

const inboundSelect = `
  select im.id, im.source, im.mailbox, im.uid, im.message_id, im.state, im.outcome, im.record_ref, im.subject, im.from_address,
         im.automated_kind, im.automated_reason, im.language, im.attempts, im.last_error, im.archive, im.duplicate_of, im.size,
         im.received_at, im.filed_at, im.next_attempt_at, (im.parsed is not null) as has_parsed,
         (select array_agg(p) from jsonb_array_elements_text(case when jsonb_typeof(im.parsed -> 'problems') = 'array' then im.parsed -> 'problems' else '[]'::jsonb end) p) as problems,
         (select count(*) from attachment a where a.inbound_message_id = im.id) as attachments
    from inbound_message im`;

function inboundRow(r: InboundRow): View {
  return {
    id: r.id,
    source: r.source,
    state: r.state,
    outcome: r.outcome,
    recordRef: r.record_ref,
    subject: r.subject,
    from: r.from_address,
    messageId: r.message_id,
    automatedKind: r.automated_kind,
    automatedReason: r.automated_reason,
    language: r.language,
    problems: r.problems ?? [],
    attachments: Number(r.attachments),
    size: num(r.size),
    archive: r.archive,
    attempts: r.attempts,
    lastError: r.last_error,
    duplicateOf: r.duplicate_of,
    receivedAt: iso(r.received_at),
    filedAt: iso(r.filed_at),
  };
}

export const INBOUND_STATES = ['stored', 'parsed', 'filed', 'quarantined', 'duplicate'] as const;

export async function listMessages(em: EntityManager, opts: { state?: string; outcome?: string; limit?: number } = {}): Promise<View[]> {
  const rows = await sqlOf(em)<InboundRow>(
    `${inboundSelect} where (?::text is null or im.state = ?) and (?::text is null or im.outcome = ?) order by im.id desc limit ?`,
    [opts.state ?? null, opts.state ?? null, opts.outcome ?? null, opts.outcome ?? null, opts.limit ?? 100],
  );
  return rows.map(inboundRow);
}

export async function showMessage(em: EntityManager, id: string): Promise<View | null> {
  if (!/^\d+$/.test(id)) return null;
  const sql = sqlOf(em);
  const [row] = await sql<InboundRow & { parsed: Record<string, any> | null; uid_validity: string | null; internal_date: Date | null }>(
    `${inboundSelect.replace('select im.id,', 'select im.id, im.parsed, im.uid_validity, im.internal_date,')} where im.id = ?`,
    [id],
  );
  if (!row) return null;
  const attachments = await sql<{ position: number; filename: string | null; content_type: string; size: string; sha256: string; inline: boolean; from_tnef: boolean; stored: boolean }>(
    'select position, filename, content_type, size, sha256, inline, from_tnef, content is not null as stored from attachment where inbound_message_id = ? order by position',
    [id],
  );
  const [triage] = await sql<{ id: string; state: string; suggested_route: string; reason: string }>('select id, state, suggested_route, reason from triage_item where inbound_message_id = ?', [id]);
  const p = row.parsed ?? {};
  const addr = (a: { address?: string; name?: string } | undefined) => (a ? { address: a.address ?? '', name: a.name ?? '' } : null);
  const bounce = p.automated?.bounce;
  return {
    ...inboundRow(row),
    mailbox: row.mailbox,
    uidValidity: row.uid_validity,
    uid: num(row.uid),
    internalDate: iso(row.internal_date),
    nextAttemptAt: row.state === 'stored' || row.state === 'parsed' ? iso(row.next_attempt_at) : null,
    date: p.date ?? null,
    fromName: p.from?.name ?? null,
    to: (p.to ?? []).map(addr),
    cc: (p.cc ?? []).map(addr),
    replyTo: (p.replyTo ?? []).map(addr),
    inReplyTo: p.inReplyTo ?? null,
    references: p.references ?? [],
    contentType: p.contentType ?? null,
    bounce: bounce ? { recipients: bounce.recipients ?? [] } : null,
    triage: triage ? { id: triage.id, state: triage.state, suggestedRoute: triage.suggested_route, reason: triage.reason } : null,
    attachmentList: attachments.map((a) => ({
      position: a.position,
      filename: a.filename,
      contentType: a.content_type,
      size: Number(a.size),
      sha256: a.sha256,
      inline: a.inline,
      fromTnef: a.from_tnef,
      contentStored: a.stored,
    })),
    text: typeof p.text === 'string' ? p.text : null,
  };
}

/** `mailbox`: one mailbox's quarantine (its name in `mailboxes:`; `import` for imported mail). */
export async function listQuarantine(em: EntityManager, opts: { limit?: number; mailbox?: string } = {}): Promise<View[]> {
  const byMailbox = opts.mailbox === undefined ? '' : opts.mailbox === 'import' ? ` and im.mailbox is null` : ` and im.mailbox = ?`;
  const params = opts.mailbox === undefined || opts.mailbox === 'import' ? [opts.limit ?? 500] : [opts.mailbox, opts.limit ?? 500];
  const rows = await sqlOf(em)<InboundRow>(`${inboundSelect} where im.state = 'quarantined'${byMailbox} order by im.id desc limit ?`, params);
  return rows.map(quarantineRow);
}

function quarantineRow(r: InboundRow): View {
  return {
    id: r.id,
    source: r.source,
    mailbox: r.mailbox,
    subject: r.subject,
    from: r.from_address,
    messageId: r.message_id,
    reason: r.last_error,
    attempts: r.attempts,
    size: num(r.size),
    parsed: r.has_parsed,
    receivedAt: iso(r.received_at),
    quarantinedAt: iso(r.filed_at),
  };
}

export async function showQuarantined(em: EntityManager, id: string): Promise<View | null> {
  if (!/^\d+$/.test(id)) return null;
  const sql = sqlOf(em);
  const [row] = await sql<InboundRow>(`${inboundSelect} where im.id = ? and im.state = 'quarantined'`, [id]);
  if (!row) return null;
  const [chunks] = await sql<{ n: string; bytes: string | null }>('select count(*) as n, sum(length(bytes)) as bytes from inbound_raw_chunk where inbound_message_id = ?', [id]);
  return {
    ...quarantineRow(row),
    problems: row.problems ?? [],
    rawStored: Number(chunks?.n ?? 0) > 0,
    rawBytes: Number(chunks?.bytes ?? 0),
    mailbox: row.mailbox,
    uid: num(row.uid),
  };
}
