import { parse as parseCsv } from 'csv-parse/sync';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ensureContact } from '../records/contacts.ts';
import { normaliseAddress, domainOf, isFreeMailDomain } from '../threading/normalise-address.ts';
import { isEmailAddress } from '../mail/address.ts';

import {
  addOpsRole,
  contactsReachedBy,
  deleteOrganisationServicesExcept,
  insertOrganisationServices,
  opsContactRows,
  opsContactsUsing,
  organisationWithDomain,
  organisationWithName,
  removeOpsRole,
  upsertCustomerOrganisation,
} from './recipient-store.ts';

export { OPS_NOTICE_ROLE } from './recipient-store.ts';

export interface NoticeRecipient {
  contactId: string;
  email: string;
  name: string | null;
  language: string | null;
  organisationId: string;
  organisationName: string;
}

/**
 * Ops-notice contacts of the organisations that use at least one of `services` (or of every
 * organisation, for a broadcast to all customers). Only contacts with the role and an
 * organisation count: a notice never goes to a customer who does not use what it is about.
 */
export async function noticeRecipients(em: EntityManager, target: { services: string[]; allCustomers: boolean }): Promise<NoticeRecipient[]> {
  const rows = await opsContactsUsing(em, target);
  return rows.map((r) => ({
    contactId: String(r.id),
    email: r.email,
    name: r.name,
    language: r.language,
    organisationId: String(r.organisation_id),
    organisationName: r.organisation_name,
  }));
}

/**
 * Those who were told about a notice (a mail of it reached the mail server): the audience of
 * its cancellation, whatever their organisation uses now. An erased contact is nobody.
 */
export async function reachedRecipients(em: EntityManager, noticeId: string): Promise<NoticeRecipient[]> {
  const rows = await contactsReachedBy(em, noticeId);
  return rows.map((r) => ({
    contactId: String(r.id),
    email: r.email,
    name: r.name,
    language: r.language,
    organisationId: r.organisation_id === null ? '' : String(r.organisation_id),
    organisationName: r.organisation_name ?? '',
  }));
}

export interface OpsContactView {
  organisation: string | null;
  organisationId: string | null;
  email: string;
  name: string | null;
  language: string | null;
  services: string[];
}

/** Everyone on an ops-notice list, with the services of their organisation. */
export async function listOpsContacts(em: EntityManager, opts: { service?: string } = {}): Promise<OpsContactView[]> {
  const rows = await opsContactRows(em, opts.service ?? null);
  return rows.map((r) => ({
    organisation: r.organisation,
    organisationId: r.organisation_id === null ? null : String(r.organisation_id),
    email: r.email,
    name: r.name,
    language: r.language,
    services: r.services ?? [],
  }));
}

/** Adds services to an organisation (unknown keys are the caller's check). */
export async function addOrganisationServices(em: EntityManager, organisationId: string, services: string[]): Promise<number> {
  if (services.length === 0) return 0;
  return insertOrganisationServices(em, organisationId, services);
}

export async function setOrganisationServices(em: EntityManager, organisationId: string, services: string[]): Promise<void> {
  await deleteOrganisationServicesExcept(em, organisationId, services);
  await addOrganisationServices(em, organisationId, services);
}

/** Takes a person off the ops-notice list (their contact record stays). */
export async function removeOpsContact(em: EntityManager, address: string): Promise<boolean> {
  return removeOpsRole(em, normaliseAddress(address));
}

// ---------------------------------------------------------------------------------------
// `notices contacts import <file.csv>`
// ---------------------------------------------------------------------------------------

export interface OpsContactRow {
  line: number;
  organisation?: string;
  domain?: string;
  email: string;
  name?: string;
  language?: string;
  services: string[];
}

export interface ImportProblem {
  line: number;
  field?: string;
  message: string;
}

const HEADER_ALIASES: Record<string, string> = {
  organisation: 'organisation', organization: 'organisation', org: 'organisation', company: 'organisation', customer: 'organisation', kunde: 'organisation', firma: 'organisation',
  domain: 'domain', domene: 'domain',
  email: 'email', epost: 'email', mail: 'email', emailaddress: 'email',
  name: 'name', navn: 'name', contact: 'name', contactname: 'name',
  language: 'language', lang: 'language', sprak: 'language', språk: 'language',
  services: 'services', service: 'services', tjenester: 'services', tjeneste: 'services', products: 'services',
};

const normHeader = (h: string) => h.trim().toLowerCase().replace(/[\s_\-.]/g, '');

/**
 * Parses the ops-notice contact list: one row per person with organisation (name and/or
 * domain), email, name, language (nb/nn/en) and services (separated by | or space; with ','
 * as the column separator also by ';'). Pure; problems carry line numbers.
 */
export function parseOpsContactsCsv(text: string, knownServices: string[]): { rows: OpsContactRow[]; problems: ImportProblem[] } {
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\t'].map((d) => [d, header.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  const records = parseCsv(text, { bom: true, delimiter, columns: (h: string[]) => h.map((c) => HEADER_ALIASES[normHeader(String(c))] ?? normHeader(String(c))), info: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as {
    info: { lines: number };
    record: Record<string, string>;
  }[];
  const known = new Set(knownServices);
  const rows: OpsContactRow[] = [];
  const problems: ImportProblem[] = [];
  for (const { info, record } of records) {
    const line = info.lines;
    const email = normaliseAddress(record.email ?? '');
    if (!email) {
      problems.push({ line, field: 'email', message: 'is required' });
      continue;
    }
    if (!isEmailAddress(email, { dottedDomain: true })) {
      problems.push({ line, field: 'email', message: `not an email address (${JSON.stringify(record.email)})` });
      continue;
    }
    const services = (record.services ?? '')
      .split(delimiter === ';' ? /[|\s,]+/ : /[|\s;]+/)
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const unknown = services.filter((s) => !known.has(s));
    if (unknown.length) {
      problems.push({ line, field: 'services', message: `unknown service${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (not in notices.services)` });
      continue;
    }
    const language = record.language?.toLowerCase() || undefined;
    if (language && !/^(nb|nn|no|en)([-_][a-z]+)?$/.test(language)) {
      problems.push({ line, field: 'language', message: `must be nb, nn or en (got ${JSON.stringify(record.language)})` });
      continue;
    }
    const domain = record.domain?.toLowerCase() || undefined;
    const organisation = record.organisation || undefined;
    const emailDomain = domainOf(email);
    if (!organisation && !domain && (!emailDomain || isFreeMailDomain(emailDomain))) {
      problems.push({ line, field: 'organisation', message: 'is required (the address is on a free-mail domain)' });
      continue;
    }
    rows.push({ line, organisation, domain, email, name: record.name || undefined, language: language === 'no' ? 'nb' : language, services });
  }
  return { rows, problems };
}

export interface OpsImportSummary {
  added: number;
  alreadyListed: number;
  organisationsCreated: number;
  servicesAdded: number;
  rejected: number;
  problems: ImportProblem[];
}

/**
 * Puts each row's person on their organisation's ops-notice list (contact created or reused;
 * role added) and adds the row's services to the organisation. Importing the same file again
 * changes nothing. A contact already filed under another organisation keeps it.
 */
export async function importOpsContacts(em: EntityManager, parsed: { rows: OpsContactRow[]; problems: ImportProblem[] }): Promise<OpsImportSummary> {
  const summary: OpsImportSummary = { added: 0, alreadyListed: 0, organisationsCreated: 0, servicesAdded: 0, rejected: parsed.problems.length, problems: [...parsed.problems] };
  await em.transactional(async (tx) => {
    for (const row of parsed.rows) {
      const emailDomain = domainOf(row.email);
      const domain = row.domain ?? (emailDomain && !isFreeMailDomain(emailDomain) ? emailDomain : undefined);
      let org = domain ? await organisationWithDomain(tx, domain) : undefined;
      if (!org && row.organisation) {
        const named = await organisationWithName(tx, row.organisation);
        if (named === 'ambiguous') {
          summary.rejected++;
          summary.problems.push({ line: row.line, field: 'organisation', message: `more than one organisation is named ${JSON.stringify(row.organisation)}; give its domain` });
          continue;
        }
        if (named) org = named;
      }
      if (!org) {
        if (!row.organisation) {
          summary.rejected++;
          summary.problems.push({ line: row.line, field: 'organisation', message: `no organisation with domain ${domain}; give its name to create it` });
          continue;
        }
        org = await upsertCustomerOrganisation(tx, row.organisation, domain ?? null);
        summary.organisationsCreated++;
      }
      const contact = await ensureContact(tx, { address: row.email, name: row.name, organisationId: org!.id });
      const added = await addOpsRole(tx, contact.id, { language: row.language ?? null, organisationId: org!.id, rolesBefore: contact.roles });
      if (added) summary.added++;
      else summary.alreadyListed++;
      summary.servicesAdded += await addOrganisationServices(tx, org!.id, row.services);
    }
  });
  return summary;
}
