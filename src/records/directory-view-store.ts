/**
 * The queries behind the contact and organisation views (directory-views.ts): lists, one entry,
 * its tickets, leads and email log, and what the company-records import linked to it.
 * Raw SQL: joins, counts and JSON reads shaped for the view, each one statement.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

/** Whether a table exists (tables of later migrations are shown only when present). */
export async function hasTable(em: EntityManager, table: string): Promise<boolean> {
  const [row] = await sqlOf(em)<{ ok: boolean }>('select to_regclass(?) is not null as ok', [table]);
  return !!row?.ok;
}

export interface ContactListRow {
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

/** Contacts by address, of one organisation and matching `like` (a lower-case LIKE pattern on address or name) when given. */
export async function contactListRows(em: EntityManager, f: { organisation: string | null; like: string | null; limit: number }): Promise<ContactListRow[]> {
  return sqlOf(em)<ContactListRow>(
    `${contactSelect}
      where (?::bigint is null or c.organisation_id = ?)
        and (?::text is null or c.email like ? or lower(coalesce(c.name, '')) like ?)
      order by c.email limit ?`,
    [f.organisation, f.organisation, f.like, f.like, f.like, f.limit],
  );
}

/** One contact by id or by (normalised) address. */
export async function contactViewRow(em: EntityManager, key: { id: string } | { email: string }): Promise<ContactListRow | undefined> {
  const [row] = await sqlOf(em)<ContactListRow>(`${contactSelect} where ${'id' in key ? 'c.id = ?' : 'c.email = ?'}`, ['id' in key ? key.id : key.email]);
  return row;
}

/** The tickets a contact asked for or takes part in, oldest first. */
export async function contactTicketRows(em: EntityManager, contactId: string): Promise<{ ref: string; subject: string; status: string; created_at: Date; role: string }[]> {
  return sqlOf(em)<{ ref: string; subject: string; status: string; created_at: Date; role: string }>(
    `select t.ref, t.subject, t.status, t.created_at, case when t.requester_id = ? then 'requester' else 'participant' end as role
       from ticket t where t.requester_id = ? or exists (select 1 from ticket_participant tp where tp.ticket_id = t.id and tp.contact_id = ?)
      order by t.id`,
    [contactId, contactId, contactId],
  );
}

/** A contact's leads, oldest first. */
export async function contactLeadRows(em: EntityManager, contactId: string): Promise<{ ref: string; subject: string; status: string; source: string; created_at: Date }[]> {
  return sqlOf(em)<{ ref: string; subject: string; status: string; source: string; created_at: Date }>(
    'select ref, subject, status, source, created_at from lead where contact_id = ? order by id',
    [contactId],
  );
}

/** A contact's email log, oldest first. */
export async function contactEmailLogRows(
  em: EntityManager,
  contactId: string,
): Promise<{ at: Date; direction: string; record_ref: string | null; subject: string | null; message_id: string | null }[]> {
  return sqlOf(em)<{ at: Date; direction: string; record_ref: string | null; subject: string | null; message_id: string | null }>(
    'select at, direction, record_ref, subject, message_id from email_log where contact_id = ? order by at, id',
    [contactId],
  );
}

/** A contact's orders (as buyer, by id or address), by date. */
export async function contactOrderRows(em: EntityManager, contactId: string, email: string): Promise<{ order_number: string; order_date: string }[]> {
  return sqlOf(em)<{ order_number: string; order_date: string }>(
    `select order_number, order_date::text as order_date from customer_order where buyer_contact_id = ? or buyer_email = ? order by order_date, order_number`,
    [contactId, email],
  );
}

/** A contact's portal users (by id or address). */
export async function contactPortalUserRows(em: EntityManager, contactId: string, email: string): Promise<{ username: string; superuser: boolean }[]> {
  return sqlOf(em)<{ username: string; superuser: boolean }>('select username, superuser from portal_user where contact_id = ? or email = ? order by username', [contactId, email]);
}

/** The projects a contact takes part in (by id or address). */
export async function contactProjectRows(em: EntityManager, contactId: string, email: string): Promise<{ project: string; role: string | null }[]> {
  return sqlOf(em)<{ project: string; role: string | null }>('select project, role from project_participant where contact_id = ? or email = ? order by project', [contactId, email]);
}

export interface OrganisationListRow {
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

/** Organisations by name, of one kind when given. */
export async function organisationListRows(em: EntityManager, f: { kind: string | null; limit: number }): Promise<OrganisationListRow[]> {
  return sqlOf(em)<OrganisationListRow>(`${organisationSelect} where (?::text is null or o.kind = ?) order by o.name, o.id limit ?`, [f.kind, f.kind, f.limit]);
}

/** One organisation by id, external ref, domain, dealer number or name (any case); id and external ref win. */
export async function organisationViewRow(em: EntityManager, key: string): Promise<OrganisationListRow | undefined> {
  const [row] = await sqlOf(em)<OrganisationListRow>(
    `${organisationSelect}
      where (o.id::text = ? ) or o.external_ref = ? or o.domain = lower(?) or o.dealer_number = ? or lower(o.name) = lower(?)
      order by (o.id::text = ?) desc, (o.external_ref = ?) desc limit 1`,
    [key, key, key, key, key, key, key],
  );
  return row;
}

/** An organisation's contacts, by address. */
export async function organisationContactRows(em: EntityManager, organisationId: string): Promise<{ id: string; email: string; name: string | null; roles: string[] }[]> {
  return sqlOf(em)<{ id: string; email: string; name: string | null; roles: string[] }>('select id, email, name, roles from contact where organisation_id = ? order by email', [organisationId]);
}

/** An organisation's tickets, oldest first. */
export async function organisationTicketRows(em: EntityManager, organisationId: string): Promise<{ ref: string; subject: string; status: string; created_at: Date }[]> {
  return sqlOf(em)<{ ref: string; subject: string; status: string; created_at: Date }>('select ref, subject, status, created_at from ticket where organisation_id = ? order by id', [organisationId]);
}

/** An organisation's leads, its own and those it is the dealer of, oldest first. */
export async function organisationLeadRows(em: EntityManager, organisationId: string): Promise<{ ref: string; subject: string; status: string; created_at: Date; as_dealer: boolean }[]> {
  return sqlOf(em)<{ ref: string; subject: string; status: string; created_at: Date; as_dealer: boolean }>(
    'select ref, subject, status, created_at, (dealer_id = ?) as as_dealer from lead where organisation_id = ? or dealer_id = ? order by id',
    [organisationId, organisationId, organisationId],
  );
}

/** An organisation's orders (as buyer), by date. */
export async function organisationOrderRows(em: EntityManager, organisationId: string): Promise<{ order_number: string; order_date: string; buyer_name: string | null; lines: unknown[] }[]> {
  return sqlOf(em)<{ order_number: string; order_date: string; buyer_name: string | null; lines: unknown[] }>(
    'select order_number, order_date::text as order_date, buyer_name, lines from customer_order where buyer_organisation_id = ? order by order_date, order_number',
    [organisationId],
  );
}
