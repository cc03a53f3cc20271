/**
 * Named queries over contacts and organisations: the contact lookups of filing (one statement
 * for a whole batch), the contact upsert that ticket creation reuses as a CTE, organisations by
 * domain, id, dealer number or name.
 * Raw SQL: the filing path's lookups are named prepared statements, one round trip for a whole
 * batch, and the upsert is a fragment other statements embed (createTickets).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray, type Sql } from '../db/sql.ts';
import { normaliseAddress, domainOf, isFreeMailDomain, organisationDomainOf } from '../threading/normalise-address.ts';

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

export interface ContactWithOrganisation {
  contact: ContactRow | null;
  organisation: OrganisationRow | null;
}

/**
 * The contact for each address and its organisation, in one statement for all of them: the
 * contact's own organisation, else the one owning the address's domain (never a free-mail
 * domain). Results are in the order of `addresses`.
 */
export async function findContactsWithOrganisation(em: EntityManager, addresses: string[]): Promise<ContactWithOrganisation[]> {
  if (addresses.length === 0) return [];
  const emails = addresses.map((a) => normaliseAddress(a));
  const rows = await sqlOf(em)<Record<string, any>>(
    `select x.ord, c.id, c.email, c.name, c.organisation_id, c.roles,
            o.id as org_id, o.name as org_name, o.kind as org_kind, o.domain as org_domain, o.dealer_number as org_dealer_number
       from unnest(?::text[], ?::text[]) with ordinality as x(email, domain, ord)
       left join contact c on c.email = x.email
       left join organisation o on o.id = coalesce(c.organisation_id, (select id from organisation where domain = x.domain))
      order by x.ord`,
    [pgArray(emails), pgArray(emails.map(organisationDomainOf))],
    { name: 'contacts-with-organisation' },
  );
  return rows.map((row) => ({
    contact: row.id ? { id: row.id, email: row.email, name: row.name, organisation_id: row.organisation_id, roles: row.roles } : null,
    organisation: row.org_id ? { id: row.org_id, name: row.org_name, kind: row.org_kind, domain: row.org_domain, dealer_number: row.org_dealer_number } : null,
  }));
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

/** The first organisation with this name (any case), or null. */
export async function findOrganisationByName(em: EntityManager, name: string): Promise<OrganisationRow | null> {
  const [row] = await sqlOf(em)<OrganisationRow>('select id, name, kind, domain, dealer_number from organisation where lower(name) = lower(?) limit 1', [name]);
  return row ?? null;
}

/** A new prospect organisation; one that has the domain already is returned instead. */
export async function insertProspectOrganisation(em: EntityManager, name: string, domain: string | null): Promise<OrganisationRow> {
  const [row] = await sqlOf(em)<OrganisationRow>(
    `insert into organisation (name, kind, domain) values (?, 'prospect', ?)
     on conflict (domain) do update set updated_at = now()
     returning id, name, kind, domain, dealer_number`,
    [name, domain],
  );
  return row!;
}

/**
 * The contact for an address, created if new. A new contact joins the organisation owning
 * its domain; `name` only fills a missing name, never overwrites one staff have set.
 */
export async function ensureContact(em: EntityManager, input: ContactInput): Promise<ContactRow> {
  const [row] = await sqlOf(em)<ContactRow>(`with input as (${contactInputSource}) ${contactUpsertSql('input')}`, [JSON.stringify([contactInputRow(input, 0)])], {
    name: 'contact-ensure',
  });
  return row!;
}

export interface ContactInput {
  address: string;
  name?: string;
  organisationId?: string | null;
  phone?: string;
}

/** The columns of a contact input row (contactInputRow), as `json_to_recordset` reads them. */
export const CONTACT_INPUT_COLUMNS = 'ord int, email text, name text, organisation_id bigint, domain text, phone text';

/** The input relation contactUpsertSql reads, from JSON rows (one `?` parameter). */
const contactInputSource = `select * from json_to_recordset(?::json) as c(${CONTACT_INPUT_COLUMNS})`;

/** One row of contactInputSource; a statement can merge it into its own input rows. */
export function contactInputRow(input: ContactInput, ord: number): { ord: number; email: string } & Record<string, unknown> {
  const email = normaliseAddress(input.address);
  return { ord, email, name: input.name || null, organisation_id: input.organisationId ?? null, domain: organisationDomainOf(email), phone: input.phone || null };
}

/**
 * ensureContact's upsert over `source` (columns as contactInputSource; each email at most
 * once), returning each contact's row: also usable as a CTE of a statement that writes more.
 */
export function contactUpsertSql(source: string): string {
  return `insert into contact (email, name, organisation_id, phone)
     select email, name, coalesce(organisation_id, (select id from organisation o where o.domain = s.domain)), phone from ${source} s order by ord
     on conflict (email) do update set
       name = coalesce(contact.name, excluded.name),
       organisation_id = coalesce(contact.organisation_id, excluded.organisation_id),
       phone = coalesce(contact.phone, excluded.phone),
       updated_at = now()
     returning id, email, name, organisation_id, roles`;
}

/**
 * The one organisation with this name (any case), or 'ambiguous' when two or more share it:
 * a name alone never picks one of several (give the domain or external ref instead).
 */
export async function organisationNamed(sql: Sql, name: string): Promise<{ id: string } | 'ambiguous' | null> {
  const rows = await sql<{ id: string }>('select id from organisation where lower(name) = lower(?) limit 2', [name]);
  return rows.length > 1 ? 'ambiguous' : (rows[0] ?? null);
}
