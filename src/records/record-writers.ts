/**
 * Writes one validated record of each kind (organisations, contacts, orders, portal users,
 * project participants), linking it to the contacts and organisations it names. Throws
 * RowError when a row does not fit the database (an organisation that does not exist).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { normaliseAddress, domainOf, isFreeMailDomain } from '../threading/normalise-address.ts';
import { RowError, type RowOutcome } from '../table-import/import-rows.ts';
import {
  contactByEmail as findContactByEmail,
  organisationIdByDomain,
  organisationIdByExternalRef,
  organisationIdByName,
  upsertContact,
  upsertOrder,
  upsertOrganisation,
  upsertPortalUser,
  upsertProjectParticipant,
} from './record-import-store.ts';
import type { ContactRecord, ImportKind, ImportRecord, OrderRecord, OrganisationRecord, PortalUserRecord, ProjectParticipantRecord } from './record-schemas.ts';

/** An organisation named by external ref, domain or name (as contacts and orders refer to them). */
export async function resolveOrganisation(em: EntityManager, ref: string, field: string): Promise<string> {
  const byRef = await organisationIdByExternalRef(em, ref);
  if (byRef) return byRef;
  const byDomain = await organisationIdByDomain(em, ref.toLowerCase().replace(/^@/, ''));
  if (byDomain) return byDomain;
  const byName = await organisationIdByName(em, ref);
  if (byName && byName !== 'ambiguous') return byName.id;
  if (byName === 'ambiguous') throw new RowError(field, `more than one organisation is named ${JSON.stringify(ref)}; use its external ref or domain`);
  throw new RowError(field, `no organisation with name, external ref or domain ${JSON.stringify(ref)}`);
}

async function organisationByEmailDomain(em: EntityManager, email: string): Promise<string | null> {
  const d = domainOf(email);
  if (!d || isFreeMailDomain(d)) return null;
  return organisationIdByDomain(em, d);
}

async function contactByEmail(em: EntityManager, email: string | undefined): Promise<{ id: string; organisation_id: string | null } | null> {
  return email ? findContactByEmail(em, email) : null;
}

async function writeOrganisation(em: EntityManager, r: OrganisationRecord): Promise<RowOutcome> {
  const { outcome } = await upsertOrganisation(em, r, {
    name: r.name,
    kind: r.kind,
    domain: r.domain,
    dealer_number: r.dealerNumber,
    external_ref: r.externalRef,
  });
  return outcome;
}

async function writeContact(em: EntityManager, r: ContactRecord): Promise<RowOutcome> {
  const existing = await contactByEmail(em, r.email);
  let organisationId: string | undefined;
  if (r.organisation) organisationId = await resolveOrganisation(em, r.organisation, 'organisation');
  else if (!existing?.organisation_id) organisationId = (await organisationByEmailDomain(em, r.email)) ?? undefined;
  const { outcome } = await upsertContact(em, r.email, {
    email: r.email,
    name: r.name,
    title: r.title,
    phone: r.phone,
    organisation_id: organisationId,
    roles: r.roles ? [...new Set(r.roles)] : undefined,
    language: r.language,
    external_ref: r.externalRef,
  });
  return outcome;
}

async function writeOrder(em: EntityManager, r: OrderRecord): Promise<RowOutcome> {
  let buyerEmail = r.buyerEmail;
  let buyerName = r.buyer;
  // "buyer" holding an address is the buyer's email.
  if (!buyerEmail && buyerName && normaliseAddress(buyerName) && /@/.test(buyerName) && !/\s/.test(buyerName.trim())) {
    buyerEmail = normaliseAddress(buyerName);
    buyerName = undefined;
  }
  const contact = await contactByEmail(em, buyerEmail);
  const organisationId = r.buyerOrganisation ? await resolveOrganisation(em, r.buyerOrganisation, 'buyerOrganisation') : (contact?.organisation_id ?? undefined);
  const { outcome } = await upsertOrder(em, r.number, {
    order_number: r.number,
    order_date: r.date,
    buyer_name: buyerName,
    buyer_email: buyerEmail,
    buyer_contact_id: contact?.id,
    buyer_organisation_id: organisationId,
    delivery_address: r.deliveryAddress,
    currency: r.currency,
    lines: r.lines,
  });
  return outcome;
}

async function writePortalUser(em: EntityManager, r: PortalUserRecord): Promise<RowOutcome> {
  const contact = await contactByEmail(em, r.email);
  const organisationId = r.organisation ? await resolveOrganisation(em, r.organisation, 'organisation') : (contact?.organisation_id ?? undefined);
  const { outcome } = await upsertPortalUser(em, r.username, {
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

async function writeProjectParticipant(em: EntityManager, r: ProjectParticipantRecord): Promise<RowOutcome> {
  const contact = await contactByEmail(em, r.email);
  const organisationId = r.organisation ? await resolveOrganisation(em, r.organisation, 'organisation') : (contact?.organisation_id ?? (await organisationByEmailDomain(em, r.email)) ?? undefined);
  const { outcome } = await upsertProjectParticipant(em, r.project, r.email, {
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
  switch (kind) {
    case 'organisations':
      return writeOrganisation(em, record as OrganisationRecord);
    case 'contacts':
      return writeContact(em, record as ContactRecord);
    case 'orders':
      return writeOrder(em, record as OrderRecord);
    case 'portal-users':
      return writePortalUser(em, record as PortalUserRecord);
    case 'project-participants':
      return writeProjectParticipant(em, record as ProjectParticipantRecord);
  }
}

