import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { normaliseAddress, domainOf, isFreeMailDomain } from '../threading/normalise-address.ts';

export interface ContactRow {
  id: string;
  email: string;
  name: string | null;
  organisation_id: string | null;
  roles: string[];
}

export interface OrganisationRow {
  id: string;
  name: string;
  kind: 'customer' | 'partner' | 'dealer' | 'prospect';
  domain: string | null;
  dealer_number: string | null;
}

/**
 * The contact for an address and its organisation in one statement: the contact's own
 * organisation, else the one owning the address's domain (never a free-mail domain).
 */
export async function findContactWithOrganisation(em: EntityManager, address: string): Promise<{ contact: ContactRow | null; organisation: OrganisationRow | null }> {
  const email = normaliseAddress(address);
  const domain = domainOf(email);
  const [row] = await sqlOf(em)<Record<string, any>>(
    `select c.id, c.email, c.name, c.organisation_id, c.roles,
            o.id as org_id, o.name as org_name, o.kind as org_kind, o.domain as org_domain, o.dealer_number as org_dealer_number
       from (select 1) as one
       left join contact c on c.email = ?
       left join organisation o on o.id = coalesce(c.organisation_id, (select id from organisation where domain = ?))`,
    [email, domain && !isFreeMailDomain(domain) ? domain : null],
    { name: 'contact-with-organisation' },
  );
  return {
    contact: row?.id ? { id: row.id, email: row.email, name: row.name, organisation_id: row.organisation_id, roles: row.roles } : null,
    organisation: row?.org_id ? { id: row.org_id, name: row.org_name, kind: row.org_kind, domain: row.org_domain, dealer_number: row.org_dealer_number } : null,
  };
}

/** Organisations are matched by domain, never by a free-mail domain (gmail.com is nobody's company). */
export async function findOrganisationByDomain(em: EntityManager, address: string): Promise<OrganisationRow | null> {
  const domain = domainOf(normaliseAddress(address));
  if (!domain || isFreeMailDomain(domain)) return null;
  const [row] = await sqlOf(em)<OrganisationRow>('select id, name, kind, domain, dealer_number from organisation where domain = ?', [domain], { name: 'organisation-by-domain' });
  return row ?? null;
}

export async function findOrganisation(em: EntityManager, id: string): Promise<OrganisationRow | null> {
  const [row] = await sqlOf(em)<OrganisationRow>('select id, name, kind, domain, dealer_number from organisation where id = ?', [id], { name: 'organisation-by-id' });
  return row ?? null;
}

export async function findDealer(em: EntityManager, dealerNumber: string): Promise<OrganisationRow | null> {
  const [row] = await sqlOf(em)<OrganisationRow>('select id, name, kind, domain, dealer_number from organisation where dealer_number = ?', [dealerNumber]);
  return row ?? null;
}

/**
 * The contact for an address, created if new. A new contact joins the organisation owning
 * its domain; `name` only fills a missing name, never overwrites one staff have set.
 */
export async function ensureContact(
  em: EntityManager,
  input: ContactInput,
): Promise<ContactRow> {
  const upsert = contactUpsertSql(input);
  const [row] = await sqlOf(em)<ContactRow>(upsert.sql, upsert.params, { name: 'contact-ensure' });
  return row!;
}

export interface ContactInput {
  address: string;
  name?: string;
  organisationId?: string | null;
  phone?: string;
}

/** ensureContact's statement, also usable as a CTE (returning the contact's row). */
export function contactUpsertSql(input: ContactInput): { sql: string; params: unknown[] } {
  const email = normaliseAddress(input.address);
  const domain = domainOf(email);
  const orgDomain = domain && !isFreeMailDomain(domain) ? domain : null;
  return {
    sql: `insert into contact (email, name, organisation_id, phone)
     values (?, ?, coalesce(?::bigint, (select id from organisation where domain = ?)), ?)
     on conflict (email) do update set
       name = coalesce(contact.name, excluded.name),
       organisation_id = coalesce(contact.organisation_id, excluded.organisation_id),
       phone = coalesce(contact.phone, excluded.phone),
       updated_at = now()
     returning id, email, name, organisation_id, roles`,
    params: [email, input.name || null, input.organisationId ?? null, orgDomain, input.phone || null],
  };
}

/** A prospect organisation for a lead's company, reused by domain or exact name. */
export async function ensureProspectOrganisation(em: EntityManager, name: string, address?: string): Promise<OrganisationRow> {
  const sql = sqlOf(em);
  const domain = address ? domainOf(normaliseAddress(address)) : undefined;
  const usableDomain = domain && !isFreeMailDomain(domain) ? domain : null;
  if (usableDomain) {
    const byDomain = await findOrganisationByDomain(em, address!);
    if (byDomain) return byDomain;
  }
  const [byName] = await sql<OrganisationRow>('select id, name, kind, domain, dealer_number from organisation where lower(name) = lower(?) limit 1', [name]);
  if (byName) return byName;
  const [row] = await sql<OrganisationRow>(
    `insert into organisation (name, kind, domain) values (?, 'prospect', ?)
     on conflict (domain) do update set updated_at = now()
     returning id, name, kind, domain, dealer_number`,
    [name, usableDomain],
  );
  return row!;
}
