import { parse as parseCsv } from 'csv-parse/sync';
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { ensureContact, organisationNamed } from '../records/contacts.ts';
import { normaliseAddress, domainOf, isFreeMailDomain } from '../threading/normalise-address.ts';
import { isEmailAddress } from '../mail/address.ts';

/** The contact role that puts a person on their organisation's list for operations notices. */
export const OPS_NOTICE_ROLE = 'ops-notice-contact';

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
  const rows = await sqlOf(em)<{ id: string; email: string; name: string | null; language: string | null; organisation_id: string; organisation_name: string }>(
    `select c.id, c.email, c.name, c.language, c.organisation_id, o.name as organisation_name
       from contact c join organisation o on o.id = c.organisation_id
      where ? = any(c.roles)
        and (?::boolean or exists (select 1 from organisation_service os where os.organisation_id = c.organisation_id and os.service = any(?::text[])))
      order by c.id`,
    [OPS_NOTICE_ROLE, target.allCustomers, `{${target.services.map((s) => `"${s}"`).join(',')}}`],
  );
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
export async function reachedRecipients(em: EntityManager, noticeId: string, reached: string): Promise<NoticeRecipient[]> {
  const rows = await sqlOf(em)<{ id: string; email: string; name: string | null; language: string | null; organisation_id: string | null; organisation_name: string | null }>(
    `select c.id, c.email, c.name, c.language, c.organisation_id, o.name as organisation_name
       from contact c left join organisation o on o.id = c.organisation_id
      where c.id in (select d.contact_id from notice_delivery d where d.notice_id = ? and d.contact_id is not null and ${reached})
      order by c.id`,
    [noticeId],
  );
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
  const rows = await sqlOf(em)<{ organisation: string | null; organisation_id: string | null; email: string; name: string | null; language: string | null; services: string[] | null }>(
    `select o.name as organisation, c.organisation_id, c.email, c.name, c.language,
            (select array_agg(os.service order by os.service) from organisation_service os where os.organisation_id = c.organisation_id) as services
       from contact c left join organisation o on o.id = c.organisation_id
      where ? = any(c.roles)
        and (?::text is null or exists (select 1 from organisation_service os where os.organisation_id = c.organisation_id and os.service = ?))
      order by o.name nulls last, c.email`,
    [OPS_NOTICE_ROLE, opts.service ?? null, opts.service ?? null],
  );
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
  const rows = await sqlOf(em)(
    `insert into organisation_service (organisation_id, service)
     select ?, unnest(?::text[]) on conflict do nothing returning service`,
    [organisationId, `{${services.map((s) => `"${s}"`).join(',')}}`],
  );
  return rows.length;
}

export async function setOrganisationServices(em: EntityManager, organisationId: string, services: string[]): Promise<void> {
  await sqlOf(em)(`delete from organisation_service where organisation_id = ? and service <> all(?::text[])`, [organisationId, `{${services.map((s) => `"${s}"`).join(',')}}`]);
  await addOrganisationServices(em, organisationId, services);
}

/** Takes a person off the ops-notice list (their contact record stays). */
export async function removeOpsContact(em: EntityManager, address: string): Promise<boolean> {
  const rows = await sqlOf(em)(
    `update contact set roles = array_remove(roles, ?), updated_at = now() where email = ? and ? = any(roles) returning id`,
    [OPS_NOTICE_ROLE, normaliseAddress(address), OPS_NOTICE_ROLE],
  );
  return rows.length > 0;
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
    const sql = sqlOf(tx);
    for (const row of parsed.rows) {
      const emailDomain = domainOf(row.email);
      const domain = row.domain ?? (emailDomain && !isFreeMailDomain(emailDomain) ? emailDomain : undefined);
      let [org] = domain ? await sql<{ id: string }>(`select id from organisation where domain = ?`, [domain]) : [];
      if (!org && row.organisation) {
        const named = await organisationNamed(sql, row.organisation);
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
        [org] = await sql<{ id: string }>(
          `insert into organisation (name, kind, domain) values (?, 'customer', ?) on conflict (domain) do update set updated_at = now() returning id`,
          [row.organisation, domain ?? null],
        );
        summary.organisationsCreated++;
      }
      const contact = await ensureContact(tx, { address: row.email, name: row.name, organisationId: org!.id });
      const [updated] = await sql<{ added: boolean }>(
        `update contact set
            roles = case when ? = any(roles) then roles else array_append(roles, ?) end,
            language = coalesce(?, language),
            organisation_id = coalesce(organisation_id, ?),
            updated_at = now()
          where id = ?
          returning not (? = any(?::text[])) as added`,
        [OPS_NOTICE_ROLE, OPS_NOTICE_ROLE, row.language ?? null, org!.id, contact.id, OPS_NOTICE_ROLE, `{${contact.roles.map((r) => `"${r}"`).join(',')}}`],
      );
      if (updated!.added) summary.added++;
      else summary.alreadyListed++;
      summary.servicesAdded += await addOrganisationServices(tx, org!.id, row.services);
    }
  });
  return summary;
}
