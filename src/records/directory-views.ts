/**
 * What the CLI shows of contacts and organisations: `list*` one flat row each, `show*` one
 * with its tickets, leads, email log and imported company records. Queries: directory-view-store.ts.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { iso, type View } from './view-values.ts';
import {
  contactEmailLogRows,
  contactLeadRows,
  contactListRows,
  contactOrderRows,
  contactPortalUserRows,
  contactProjectRows,
  contactTicketRows,
  contactViewRow,
  hasTable,
  organisationContactRows,
  organisationLeadRows,
  organisationListRows,
  organisationOrderRows,
  organisationTicketRows,
  organisationViewRow,
  type ContactListRow,
  type OrganisationListRow,
} from './directory-view-store.ts';

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
  const rows = await contactListRows(em, { organisation: opts.organisation ?? null, like, limit: opts.limit ?? 500 });
  return rows.map(contactRow);
}

/** A contact by id (digits) or by email address. */
export async function showContact(em: EntityManager, idOrEmail: string): Promise<View | null> {
  const byId = /^\d+$/.test(idOrEmail.trim());
  const row = await contactViewRow(em, byId ? { id: idOrEmail.trim() } : { email: normaliseAddress(idOrEmail) });
  if (!row) return null;
  const tickets = await contactTicketRows(em, row.id);
  const leads = await contactLeadRows(em, row.id);
  const log = await contactEmailLogRows(em, row.id);
  const view: View = {
    ...contactRow(row),
    tickets: tickets.map((t) => ({ ref: t.ref, subject: t.subject, status: t.status, role: t.role, createdAt: iso(t.created_at) })),
    leads: leads.map((l) => ({ ref: l.ref, subject: l.subject, status: l.status, source: l.source, createdAt: iso(l.created_at) })),
    emailLog: log.map((e) => ({ at: iso(e.at), direction: e.direction, recordRef: e.record_ref, subject: e.subject, messageId: e.message_id })),
  };
  if (await hasTable(em, 'customer_order')) {
    const orders = await contactOrderRows(em, row.id, row.email);
    view.orders = orders.map((o) => ({ number: o.order_number, date: o.order_date }));
    const portal = await contactPortalUserRows(em, row.id, row.email);
    view.portalUsers = portal.map((p) => ({ username: p.username, superuser: p.superuser }));
    const projects = await contactProjectRows(em, row.id, row.email);
    view.projects = projects.map((p) => ({ project: p.project, role: p.role }));
  }
  return view;
}

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
  const rows = await organisationListRows(em, { kind: opts.kind ?? null, limit: opts.limit ?? 500 });
  return rows.map(organisationRow);
}

/** An organisation by id, external ref, domain, dealer number or exact name. */
export async function showOrganisation(em: EntityManager, key: string): Promise<View | null> {
  const row = await organisationViewRow(em, key.trim());
  if (!row) return null;
  const contacts = await organisationContactRows(em, row.id);
  const tickets = await organisationTicketRows(em, row.id);
  const leads = await organisationLeadRows(em, row.id);
  const view: View = {
    ...organisationRow(row),
    contacts: contacts.map((c) => ({ id: c.id, email: c.email, name: c.name, roles: c.roles ?? [] })),
    tickets: tickets.map((t) => ({ ref: t.ref, subject: t.subject, status: t.status, createdAt: iso(t.created_at) })),
    leads: leads.map((l) => ({ ref: l.ref, subject: l.subject, status: l.status, viaDealer: !!l.as_dealer, createdAt: iso(l.created_at) })),
  };
  if (await hasTable(em, 'customer_order')) {
    const orders = await organisationOrderRows(em, row.id);
    view.orders = orders.map((o) => ({ number: o.order_number, date: o.order_date, buyer: o.buyer_name, lines: Array.isArray(o.lines) ? o.lines.length : 0 }));
  }
  return view;
}
