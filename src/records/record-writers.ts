/**
 * Writes one validated record of each kind (organisations, contacts, orders, portal users,
 * project participants), linking it to the contacts and organisations it names. Throws
 * RowError when a row does not fit the database (an organisation that does not exist).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, type Sql } from '../db/sql.ts';
import { normaliseAddress, domainOf, isFreeMailDomain } from '../threading/normalise-address.ts';
import { RowError, type RowOutcome } from '../table-import/import-rows.ts';
import { organisationNamed } from './contacts.ts';
import { upsert } from './record-upsert.ts';
import type { ContactRecord, ImportKind, ImportRecord, OrderRecord, OrganisationRecord, PortalUserRecord, ProjectParticipantRecord } from './record-schemas.ts';

/** An organisation named by external ref, domain or name (as contacts and orders refer to them). */
export async function resolveOrganisation(sql: Sql, ref: string, field: string): Promise<string> {
  const [byRef] = await sql<{ id: string }>('select id from organisation where external_ref = ?', [ref]);
  if (byRef) return byRef.id;
  const [byDomain] = await sql<{ id: string }>('select id from organisation where domain = ?', [ref.toLowerCase().replace(/^@/, '')]);
  if (byDomain) return byDomain.id;
  const byName = await organisationNamed(sql, ref);
  if (byName && byName !== 'ambiguous') return byName.id;
  if (byName === 'ambiguous') throw new RowError(field, `more than one organisation is named ${JSON.stringify(ref)}; use its external ref or domain`);
  throw new RowError(field, `no organisation with name, external ref or domain ${JSON.stringify(ref)}`);
}

async function organisationByEmailDomain(sql: Sql, email: string): Promise<string | null> {
  const d = domainOf(email);
  if (!d || isFreeMailDomain(d)) return null;
  const [row] = await sql<{ id: string }>('select id from organisation where domain = ?', [d]);
  return row?.id ?? null;
}

async function contactByEmail(sql: Sql, email: string | undefined): Promise<{ id: string; organisation_id: string | null } | null> {
  if (!email) return null;
  const [row] = await sql<{ id: string; organisation_id: string | null }>('select id, organisation_id from contact where email = ?', [email]);
  return row ?? null;
}

async function writeOrganisation(sql: Sql, r: OrganisationRecord): Promise<RowOutcome> {
  const tries: [string, unknown][] = [];
  if (r.externalRef) tries.push(['external_ref = ?', r.externalRef]);
  if (r.domain) tries.push(['domain = ?', r.domain]);
  if (r.dealerNumber) tries.push(['dealer_number = ?', r.dealerNumber]);
  tries.push(['lower(name) = lower(?)', r.name]);
  let where = { where: 'false', params: [] as unknown[] };
  for (const [clause, value] of tries) {
    const found = await sql('select id from organisation where ' + clause + ' limit 1', [value]);
    if (found.length) {
      where = { where: clause, params: [value] };
      break;
    }
  }
  const { outcome } = await upsert(sql, 'organisation', where, {
    name: r.name,
    kind: r.kind,
    domain: r.domain,
    dealer_number: r.dealerNumber,
    external_ref: r.externalRef,
  });
  return outcome;
}

async function writeContact(sql: Sql, r: ContactRecord): Promise<RowOutcome> {
  const existing = await contactByEmail(sql, r.email);
  let organisationId: string | undefined;
  if (r.organisation) organisationId = await resolveOrganisation(sql, r.organisation, 'organisation');
  else if (!existing?.organisation_id) organisationId = (await organisationByEmailDomain(sql, r.email)) ?? undefined;
  const { outcome } = await upsert(sql, 'contact', { where: 'email = ?', params: [r.email] }, {
    email: r.email,
    name: r.name,
    title: r.title,
    phone: r.phone,
    organisation_id: organisationId,
    roles: r.roles ? [...new Set(r.roles)] : undefined,
    language: r.language,
    external_ref: r.externalRef,
  }, { textArray: ['roles'] });
  return outcome;
}

async function writeOrder(sql: Sql, r: OrderRecord): Promise<RowOutcome> {
  let buyerEmail = r.buyerEmail;
  let buyerName = r.buyer;
  // "buyer" holding an address is the buyer's email.
  if (!buyerEmail && buyerName && normaliseAddress(buyerName) && /@/.test(buyerName) && !/\s/.test(buyerName.trim())) {
    buyerEmail = normaliseAddress(buyerName);
    buyerName = undefined;
  }
  const contact = await contactByEmail(sql, buyerEmail);
  const organisationId = r.buyerOrganisation ? await resolveOrganisation(sql, r.buyerOrganisation, 'buyerOrganisation') : (contact?.organisation_id ?? undefined);
  const { outcome } = await upsert(
    sql,
    'customer_order',
    { where: 'order_number = ?', params: [r.number] },
    {
      order_number: r.number,
      order_date: r.date,
      buyer_name: buyerName,
      buyer_email: buyerEmail,
      buyer_contact_id: contact?.id,
      buyer_organisation_id: organisationId,
      delivery_address: r.deliveryAddress,
      currency: r.currency,
      lines: r.lines,
    },
    { json: ['lines'] },
  );
  return outcome;
}

async function writePortalUser(sql: Sql, r: PortalUserRecord): Promise<RowOutcome> {
  const contact = await contactByEmail(sql, r.email);
  const organisationId = r.organisation ? await resolveOrganisation(sql, r.organisation, 'organisation') : (contact?.organisation_id ?? undefined);
  const { outcome } = await upsert(sql, 'portal_user', { where: 'username = ?', params: [r.username] }, {
    username: r.username,
    name: r.name,
    email: r.email,
    mobile: r.mobile,
    superuser: r.superuser,
    contact_id: contact?.id,
    organisation_id: organisationId,
  });
  return outcome;
}

async function writeProjectParticipant(sql: Sql, r: ProjectParticipantRecord): Promise<RowOutcome> {
  const contact = await contactByEmail(sql, r.email);
  const organisationId = r.organisation ? await resolveOrganisation(sql, r.organisation, 'organisation') : (contact?.organisation_id ?? (await organisationByEmailDomain(sql, r.email)) ?? undefined);
  const { outcome } = await upsert(sql, 'project_participant', { where: 'project = ? and email = ?', params: [r.project, r.email] }, {
    project: r.project,
    email: r.email,
    name: r.name,
    role: r.role,
    phone: r.phone,
    contact_id: contact?.id,
    organisation_id: organisationId,
  });
  return outcome;
}

/** Writes one validated record in `em`'s transaction. Throws RowError when it does not fit. */
export async function writeRecord(em: EntityManager, kind: ImportKind, record: ImportRecord): Promise<RowOutcome> {
  const sql = sqlOf(em);
  switch (kind) {
    case 'organisations':
      return writeOrganisation(sql, record as OrganisationRecord);
    case 'contacts':
      return writeContact(sql, record as ContactRecord);
    case 'orders':
      return writeOrder(sql, record as OrderRecord);
    case 'portal-users':
      return writePortalUser(sql, record as PortalUserRecord);
    case 'project-participants':
      return writeProjectParticipant(sql, record as ProjectParticipantRecord);
  }
}

