/**
 * Contacts and organisations as filing sees them: who wrote, and which organisation they
 * belong to. The queries are in contact-store.ts; this file composes them and is where other
 * folders (handlers, notices) import them from.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { normaliseAddress, domainOf, isFreeMailDomain } from '../threading/normalise-address.ts';
import { findContactsWithOrganisation, findOrganisationByDomain, findOrganisationByName, insertProspectOrganisation, type ContactWithOrganisation, type OrganisationRow } from './contact-store.ts';

export { organisationDomainOf } from '../threading/normalise-address.ts';
export {
  findContactsWithOrganisation,
  findOrganisationByDomain,
  findOrganisation,
  findDealer,
  ensureContact,
  organisationNamed,
  type ContactRow,
  type OrganisationRow,
  type ContactInput,
  type ContactWithOrganisation,
} from './contact-store.ts';

export async function findContactWithOrganisation(em: EntityManager, address: string): Promise<ContactWithOrganisation> {
  return (await findContactsWithOrganisation(em, [address]))[0]!;
}

/** A prospect organisation for a lead's company, reused by domain or exact name. */
export async function ensureProspectOrganisation(em: EntityManager, name: string, address?: string): Promise<OrganisationRow> {
  const domain = address ? domainOf(normaliseAddress(address)) : undefined;
  const usableDomain = domain && !isFreeMailDomain(domain) ? domain : null;
  if (usableDomain) {
    const byDomain = await findOrganisationByDomain(em, address!);
    if (byDomain) return byDomain;
  }
  return (await findOrganisationByName(em, name)) ?? insertProspectOrganisation(em, name, usableDomain);
}
