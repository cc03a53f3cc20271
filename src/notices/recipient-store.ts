/**
 * Named queries over who hears about operations notices: contacts with the ops-notice role,
 * their organisations and the services each organisation uses (`organisation_service`), and
 * the writes of `notices contacts import`.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { organisationNamed } from '../records/contacts.ts';
import { REACHED_DELIVERY } from './delivery-store.ts';

/** The contact role that puts a person on their organisation's list for operations notices. */
export const OPS_NOTICE_ROLE = 'ops-notice-contact';

/** A text[] literal of keys (service names, roles). */
const textArray = (values: string[]) => `{${values.map((s) => `"${s}"`).join(',')}}`;

export interface RecipientContactRow {
  id: string;
  email: string;
  name: string | null;
  language: string | null;
  organisation_id: string | null;
  organisation_name: string | null;
}

/** Contacts with the role whose organisation uses any of `services` (or every such contact with an organisation, for all customers). */
export async function opsContactsUsing(em: EntityManager, target: { services: string[]; allCustomers: boolean }): Promise<(RecipientContactRow & { organisation_id: string; organisation_name: string })[]> {
  return sqlOf(em)<RecipientContactRow & { organisation_id: string; organisation_name: string }>(
    `select c.id, c.email, c.name, c.language, c.organisation_id, o.name as organisation_name
       from contact c join organisation o on o.id = c.organisation_id
      where ? = any(c.roles)
        and (?::boolean or exists (select 1 from organisation_service os where os.organisation_id = c.organisation_id and os.service = any(?::text[])))
      order by c.id`,
    [OPS_NOTICE_ROLE, target.allCustomers, textArray(target.services)],
  );
}

/** Contacts a mail of the notice reached (REACHED_DELIVERY), whatever their organisation uses now. */
export async function contactsReachedBy(em: EntityManager, noticeId: string): Promise<RecipientContactRow[]> {
  return sqlOf(em)<RecipientContactRow>(
    `select c.id, c.email, c.name, c.language, c.organisation_id, o.name as organisation_name
       from contact c left join organisation o on o.id = c.organisation_id
      where c.id in (select d.contact_id from notice_delivery d where d.notice_id = ? and d.contact_id is not null and ${REACHED_DELIVERY})
      order by c.id`,
    [noticeId],
  );
}

/** Everyone with the role (optionally only where the organisation uses `service`), with their organisation's services. */
export async function opsContactRows(
  em: EntityManager,
  service: string | null,
): Promise<{ organisation: string | null; organisation_id: string | null; email: string; name: string | null; language: string | null; services: string[] | null }[]> {
  return sqlOf(em)<{ organisation: string | null; organisation_id: string | null; email: string; name: string | null; language: string | null; services: string[] | null }>(
    `select o.name as organisation, c.organisation_id, c.email, c.name, c.language,
            (select array_agg(os.service order by os.service) from organisation_service os where os.organisation_id = c.organisation_id) as services
       from contact c left join organisation o on o.id = c.organisation_id
      where ? = any(c.roles)
        and (?::text is null or exists (select 1 from organisation_service os where os.organisation_id = c.organisation_id and os.service = ?))
      order by o.name nulls last, c.email`,
    [OPS_NOTICE_ROLE, service, service],
  );
}

/** Adds the services the organisation does not have yet; how many were added. */
export async function insertOrganisationServices(em: EntityManager, organisationId: string, services: string[]): Promise<number> {
  const rows = await sqlOf(em)(
    `insert into organisation_service (organisation_id, service)
     select ?, unnest(?::text[]) on conflict do nothing returning service`,
    [organisationId, textArray(services)],
  );
  return rows.length;
}

/** Removes every service of the organisation not in `services`. */
export async function deleteOrganisationServicesExcept(em: EntityManager, organisationId: string, services: string[]): Promise<void> {
  await sqlOf(em)(`delete from organisation_service where organisation_id = ? and service <> all(?::text[])`, [organisationId, textArray(services)]);
}

/** Takes the role off the contact with this (normalised) address; whether it had it. */
export async function removeOpsRole(em: EntityManager, email: string): Promise<boolean> {
  const rows = await sqlOf(em)(`update contact set roles = array_remove(roles, ?), updated_at = now() where email = ? and ? = any(roles) returning id`, [OPS_NOTICE_ROLE, email, OPS_NOTICE_ROLE]);
  return rows.length > 0;
}

export async function organisationWithDomain(em: EntityManager, domain: string): Promise<{ id: string } | undefined> {
  const [org] = await sqlOf(em)<{ id: string }>(`select id from organisation where domain = ?`, [domain]);
  return org;
}

/** The organisation with exactly this name (case-insensitive); 'ambiguous' when several have it. */
export async function organisationWithName(em: EntityManager, name: string): Promise<{ id: string } | 'ambiguous' | null> {
  return organisationNamed(sqlOf(em), name);
}

/** A customer organisation with this name and domain (the existing one when the domain is taken). */
export async function upsertCustomerOrganisation(em: EntityManager, name: string, domain: string | null): Promise<{ id: string }> {
  const [org] = await sqlOf(em)<{ id: string }>(`insert into organisation (name, kind, domain) values (?, 'customer', ?) on conflict (domain) do update set updated_at = now() returning id`, [
    name,
    domain,
  ]);
  return org!;
}

/**
 * Gives the contact the role (and its language and organisation where it has none); whether
 * the role is new, judged by `rolesBefore` (the contact's roles as read before).
 */
export async function addOpsRole(em: EntityManager, contactId: string, o: { language: string | null; organisationId: string; rolesBefore: string[] }): Promise<boolean> {
  const [updated] = await sqlOf(em)<{ added: boolean }>(
    `update contact set
        roles = case when ? = any(roles) then roles else array_append(roles, ?) end,
        language = coalesce(?, language),
        organisation_id = coalesce(organisation_id, ?),
        updated_at = now()
      where id = ?
      returning not (? = any(?::text[])) as added`,
    [OPS_NOTICE_ROLE, OPS_NOTICE_ROLE, o.language, o.organisationId, contactId, OPS_NOTICE_ROLE, textArray(o.rolesBefore)],
  );
  return updated!.added;
}
