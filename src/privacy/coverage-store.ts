/**
 * The data access of the coverage registry (coverage.ts): the core entries, whose `match` and
 * `erase.sql` are SQL over every table that holds personal data, the fragments they share, the
 * binding of their named placeholders, and the queries that run them (the access package's
 * rows, an erasure plan's counts, an erasure's statements, the retention job, "is the sender on
 * file"). Raw SQL throughout: the registry is SQL text by nature, composed per table and run
 * with the person's keys as bind values.
 *
 * SQL in `match` and `erase.sql` may use these placeholders (bound as parameters):
 *   :contacts  bigint[] — the person's contact ids      :emails  text[] — their normalised addresses
 *   :cases     bigint[] — the person's privacy cases     (erase.sql only) :policy 'delete'|'anonymise'
 *   :now       timestamptz
 * Helper views are SQL fragments, not tables: SUBJECT_TICKETS (the person's ticket refs) etc.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';
import { timelineBodySql } from '../records/timeline-store.ts';
import type { CoverageEntry } from './coverage.ts';
import type { SubjectKeys } from './subject.ts';

// Fragments reused by the entries.
export const SUBJECT_TICKETS = `(select ref from ticket where requester_id = any(:contacts) or id in (select ticket_id from ticket_participant where contact_id = any(:contacts)))`;
export const SUBJECT_LEADS = `(select ref from lead where contact_id = any(:contacts))`;
export const SUBJECT_INBOUND = `(select id from inbound_message where lower(from_address) = any(:emails))`;
/** Inbound mail kept after an erasure: on a kept ticket, or the privacy request itself. */
export const KEPT_INBOUND = `(select id from inbound_message where lower(from_address) = any(:emails) and (record_ref in ${SUBJECT_TICKETS} or record_ref like 'PRV-%' or id in (select inbound_message_id from privacy_case where inbound_message_id is not null)))`;
export const ERASED_INBOUND = `(select id from inbound_message where lower(from_address) = any(:emails) and id not in ${KEPT_INBOUND})`;
/** An email row addressed to the person: a `to` entry that is the address, or ends in `<address>` (never a longer address containing it). */
const OUTBOX_TO_SUBJECT = `(channel = 'email' and jsonb_typeof(payload->'to') = 'array' and exists (select 1 from jsonb_array_elements_text(payload->'to') t, unnest(:emails::text[]) e where lower(trim(t)) = e or lower(trim(t)) like '%<' || e || '>'))`;
const OUTBOX_KEPT = `(coalesce(payload->'headers'->>'X-Mailroom-Id', '') like 'PRV-%' or coalesce(payload->'headers'->>'X-Mailroom-Id', '') in ${SUBJECT_TICKETS} or id in (select outbox_id from record_message where outbox_id is not null and record_ref in ${SUBJECT_TICKETS}))`;

/**
 * SQL: the order's retention has passed at :now — the end of its financial year (ending in
 * month :fyEndMonth) plus :orderYears years (bokføringsloven § 13).
 */
export const ORDER_KEPT_UNTIL = `(date_trunc('year', order_date - make_interval(months => :fyEndMonth::int)) + make_interval(years => 1, months => :fyEndMonth::int) - interval '1 day' + make_interval(years => :orderYears::int))::date`;
export const ORDER_EXPIRED = `${ORDER_KEPT_UNTIL} < (:now)::date`;

const TICKET_GROUND =
  'Support cases are documentation of the customer company\'s use of the software (the privacy statement); kept on legitimate interest (art. 6(1)(f)) and for legal claims (art. 17(3)(e)) for the agreement period plus the limitation period (3 years, foreldelsesloven § 2).';
const ORDER_GROUND = 'Orders are kept for bookkeeping until 5 years after the end of their financial year (bokføringsloven § 13, GDPR art. 17(3)(b)); then deleted by the retention job.';
const PRIVACY_GROUND = 'The request, our answer and the audit of who did what are kept to document that the request was handled (accountability, GDPR art. 5(2); legal claims art. 17(3)(e)).';

export const coreCoverage: CoverageEntry[] = [
  {
    entity: 'Contact',
    table: 'contact',
    system: 'crm',
    personal: true,
    match: `id = any(:contacts) or email = any(:emails)`,
    erase: {
      action: 'crm-policy',
      order: 90,
      sql: [
        // Deleted when nothing kept still points at it (policy 'delete'); anonymised otherwise.
        `delete from contact c where c.id = any(:contacts) and :policy = 'delete'
           and not exists (select 1 from ticket t where t.requester_id = c.id)
           and not exists (select 1 from ticket_participant tp where tp.contact_id = c.id)
           and not exists (select 1 from customer_order o where o.buyer_contact_id = c.id)
           and not exists (select 1 from lead l where l.contact_id = c.id)`,
        `update contact set email = 'erased-' || id || '@erased.invalid', name = null, title = null, phone = null, external_ref = null,
                roles = '{}', language = null, updated_at = now() where id = any(:contacts)`,
      ],
      ground: 'A contact still referenced by a kept support case or order is anonymised (no name, address, phone or roles) instead of deleted.',
    },
  },
  {
    entity: 'Organisation',
    table: 'organisation',
    system: 'crm',
    personal: false,
    match: `id in (select organisation_id from contact where id = any(:contacts))`,
    erase: { action: 'none', ground: 'Company data (the customer organisation), not personal data about you.' },
    note: 'company records, shown in the package as the organisation the person belongs to',
  },
  {
    entity: 'Lead',
    table: 'lead',
    system: 'crm',
    personal: true,
    match: `contact_id = any(:contacts)`,
    erase: {
      action: 'crm-policy',
      order: 40,
      sql: [
        `delete from email_log where lead_id in (select id from lead where contact_id = any(:contacts)) and :policy = 'delete'`,
        `delete from acknowledgement where record_ref in ${SUBJECT_LEADS} and :policy = 'delete'`,
        `delete from thread_message_id where record_ref in ${SUBJECT_LEADS} and :policy = 'delete'`,
        `delete from record_message where record_ref in ${SUBJECT_LEADS} and :policy = 'delete'`,
        `update record_message set subject = '[erased]', body_new = '[erased]', body_quoted = null, signature = null, body_split = null, from_address = null
          where record_ref in ${SUBJECT_LEADS}`,
        `delete from lead where contact_id = any(:contacts) and :policy = 'delete'`,
        `update lead set form_data = null, subject = '[erased]', updated_at = now() where contact_id = any(:contacts)`,
      ],
    },
  },
  {
    entity: 'Ticket',
    table: 'ticket',
    system: 'support',
    personal: true,
    match: `ref in ${SUBJECT_TICKETS}`,
    erase: { action: 'keep', ground: TICKET_GROUND },
  },
  {
    entity: 'ticket_participant',
    table: 'ticket_participant',
    system: 'support',
    personal: true,
    match: `contact_id = any(:contacts)`,
    erase: { action: 'keep', ground: TICKET_GROUND },
  },
  {
    entity: 'RecordMessage',
    table: 'record_message',
    system: 'support',
    personal: true,
    match: `record_ref in ${SUBJECT_TICKETS} or record_ref in ${SUBJECT_LEADS} or lower(from_address) = any(:emails)`,
    // Third parties (other customers on the same case, staff names) are redacted (art. 15(4)).
    columns: `id, record_ref, direction, created_at, subject,
      case when direction = 'in' and lower(coalesce(from_address, '')) <> all(:emails) then '[another person]' else from_address end as from_address,
      case when author is null then null else 'InfraComfort' end as author,
      case when direction = 'in' and lower(coalesce(from_address, '')) <> all(:emails) then '[redacted: written by another person]' else ${timelineBodySql('record_message')} end as body_new,
      case when direction = 'in' and lower(coalesce(from_address, '')) <> all(:emails) then null else ${timelineBodySql('record_message', 'signature')} end as signature`,
    erase: {
      action: 'mixed',
      order: 30,
      sql: [`delete from record_message where inbound_message_id in ${ERASED_INBOUND}`],
      ground: TICKET_GROUND,
    },
  },
  {
    entity: 'email_log',
    table: 'email_log',
    system: 'crm',
    personal: true,
    match: `contact_id = any(:contacts)`,
    erase: {
      action: 'mixed',
      order: 20,
      sql: [`delete from email_log where contact_id = any(:contacts) and coalesce(record_ref, '') not in ${SUBJECT_TICKETS} and coalesce(record_ref, '') not like 'PRV-%'`],
      ground: 'Lines about kept support cases stay with the case. ' + TICKET_GROUND,
    },
  },
  {
    entity: 'acknowledgement',
    table: 'acknowledgement',
    system: 'mail',
    personal: true,
    match: `recipient = any(:emails)`,
    erase: {
      action: 'mixed',
      order: 20,
      sql: [`delete from acknowledgement where recipient = any(:emails) and record_ref not in ${SUBJECT_TICKETS}`],
      ground: 'Acknowledgements of kept support cases. ' + TICKET_GROUND,
    },
  },
  {
    entity: 'TriageItem',
    table: 'triage_item',
    system: 'mail',
    personal: true,
    match: `inbound_message_id in ${SUBJECT_INBOUND}`,
    columns: 'id, suggested_route, state, resolution, record_ref, created_at, resolved_at',
    erase: { action: 'delete', order: 20, sql: [`delete from triage_item where inbound_message_id in ${ERASED_INBOUND}`] },
  },
  {
    entity: 'InboundMessage',
    table: 'inbound_message',
    system: 'mail',
    personal: true,
    match: `lower(from_address) = any(:emails)`,
    columns: 'id, received_at, subject, from_address, outcome, record_ref, size',
    erase: {
      action: 'mixed',
      order: 60,
      sql: [
        `delete from inbound_message where id in ${ERASED_INBOUND}`,
      ],
      ground: 'Mail on a kept support case, and the privacy request itself. ' + TICKET_GROUND,
    },
  },
  {
    entity: 'InboundRawChunk',
    table: 'inbound_raw_chunk',
    system: 'mail',
    personal: true,
    match: `inbound_message_id in ${SUBJECT_INBOUND}`,
    columns: 'inbound_message_id, seq, length(bytes) as bytes',
    erase: { action: 'mixed', order: 50, sql: [`delete from inbound_raw_chunk where inbound_message_id in ${ERASED_INBOUND}`], ground: 'The raw copy of kept mail. ' + TICKET_GROUND },
  },
  {
    entity: 'Attachment',
    table: 'attachment',
    system: 'mail',
    personal: true,
    match: `inbound_message_id in ${SUBJECT_INBOUND}`,
    columns: 'id, inbound_message_id, filename, content_type, size, sha256',
    erase: { action: 'mixed', order: 50, sql: [`delete from attachment where inbound_message_id in ${ERASED_INBOUND}`], ground: 'Attachments of kept mail. ' + TICKET_GROUND },
  },
  {
    entity: 'OutboxMessage',
    table: 'outbox_message',
    system: 'mail',
    personal: true,
    match: OUTBOX_TO_SUBJECT,
    columns: `id, created_at, sent_at, status, payload->>'subject' as subject, payload->>'text' as text`,
    erase: {
      action: 'mixed',
      order: 70,
      sql: [
        `update outbox_message set status = case when status in ('pending', 'sending') then 'cancelled' else status end,
                payload = jsonb_build_object('erased', true, 'to', '[]'::jsonb, 'subject', '[erased]', 'text', '', 'from', payload->'from', 'messageId', payload->'messageId'),
                updated_at = now()
          where ${OUTBOX_TO_SUBJECT} and not ${OUTBOX_KEPT}`,
      ],
      ground: 'Our emails about kept support cases and our answers to privacy requests. ' + PRIVACY_GROUND,
    },
  },
  {
    entity: 'CustomerOrder',
    table: 'customer_order',
    system: 'orders',
    personal: true,
    match: `buyer_contact_id = any(:contacts) or lower(buyer_email) = any(:emails)`,
    erase: {
      action: 'retention',
      order: 80,
      sql: [`delete from customer_order where (buyer_contact_id = any(:contacts) or lower(buyer_email) = any(:emails)) and ${ORDER_EXPIRED}`],
      ground: ORDER_GROUND,
    },
  },
  {
    entity: 'PortalUser',
    table: 'portal_user',
    system: 'portal',
    personal: true,
    match: `contact_id = any(:contacts) or lower(email) = any(:emails)`,
    erase: { action: 'delete', order: 80, sql: [`delete from portal_user where contact_id = any(:contacts) or lower(email) = any(:emails)`] },
  },
  {
    entity: 'ProjectParticipant',
    table: 'project_participant',
    system: 'projects',
    personal: true,
    match: `contact_id = any(:contacts) or lower(email) = any(:emails)`,
    erase: { action: 'delete', order: 80, sql: [`delete from project_participant where contact_id = any(:contacts) or lower(email) = any(:emails)`] },
  },
  // Privacy's own records: kept to document the request (accountability).
  { entity: 'PrivacyCase', table: 'privacy_case', system: 'privacy', personal: true, match: `id = any(:cases)`, erase: { action: 'keep', ground: PRIVACY_GROUND } },
  { entity: 'PrivacyRightItem', table: 'privacy_right', system: 'privacy', personal: true, match: `case_id = any(:cases)`, columns: 'id, case_id, "right", state, outcome, reason, created_at, updated_at', erase: { action: 'keep', ground: PRIVACY_GROUND } },
  { entity: 'PrivacyAudit', table: 'privacy_audit', system: 'privacy', personal: true, match: `case_id = any(:cases)`, columns: 'id, case_id, at, actor_kind, action', erase: { action: 'keep', ground: PRIVACY_GROUND } },
  { entity: 'PrivacyToken', table: 'privacy_token', system: 'privacy', personal: false, erase: { action: 'none' }, note: 'hashes of one-time link tokens' },
  { entity: 'AddressSuppression', table: 'address_suppression', system: 'privacy', personal: false, erase: { action: 'none', ground: 'A keyed hash of the address (not the address) keeps it from being mailed, tracked or added again (art. 21(3), 7(3), 17(3)(e)).' }, note: 'keyed hashes only (legacy unkeyed rows are re-keyed when the address is seen)' },
  { entity: 'PrivacyReminder', table: 'privacy_reminder', system: 'privacy', personal: false, erase: { action: 'none' }, note: 'which reminders were sent' },
  // Technical and staff-only data: no personal data about customers.
  { entity: 'Task', table: 'task', system: 'staff', personal: false, erase: { action: 'none' }, note: 'staff work items; privacy tasks carry no customer data (refs and counts only); assignee names are staff' },
  { entity: 'TaskAudit', table: 'task_audit', system: 'staff', personal: false, erase: { action: 'none' }, note: 'who on the staff acted on a task' },
  { entity: 'ClassificationCorrection', table: 'classification_correction', system: 'staff', personal: false, erase: { action: 'none' }, note: "staff's route for a message (a label, no text of it); the row goes with the message (on delete cascade)" },
  { entity: 'ImapCursor', table: 'imap_cursor', system: 'mail', personal: false, erase: { action: 'none' }, note: 'mailbox positions' },
  { entity: 'thread_message_id', table: 'thread_message_id', system: 'mail', personal: false, erase: { action: 'none' }, note: 'Message-ID → record ref' },
];

export interface BindValues extends SubjectKeys {
  now?: Date;
  policy?: 'delete' | 'anonymise';
  orderYears?: number;
  fyEndMonth?: number;
}

const CASTS: Record<string, string> = { contacts: '?::bigint[]', emails: '?::text[]', cases: '?::bigint[]' };

/** Replaces `:name` placeholders (never `::casts`) with `?` and collects the values in order. */
export function bindNamed(text: string, values: BindValues): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = text.replace(/(?<![:\w]):([a-zA-Z]+)\b/g, (m, name: string) => {
    switch (name) {
      case 'contacts':
      case 'emails':
      case 'cases':
        params.push(pgArray(values[name]));
        return CASTS[name]!;
      case 'now':
        params.push(values.now ?? new Date());
        return '?::timestamptz';
      case 'policy':
        params.push(values.policy ?? 'delete');
        return '?::text';
      case 'orderYears':
        params.push(values.orderYears ?? 5);
        return '?';
      case 'fyEndMonth':
        params.push(values.fyEndMonth ?? 12);
        return '?';
      default:
        return m;
    }
  });
  return { sql, params };
}

/** Whether the entry's table holds any row matching the person (its `match`). */
export async function entryHasMatch(em: EntityManager, e: CoverageEntry & { match: string }, keys: SubjectKeys): Promise<boolean> {
  const q = bindNamed(`select 1 from ${e.table} where ${e.match} limit 1`, keys);
  return (await sqlOf(em)(q.sql, q.params)).length > 0;
}

/** The person's rows of the entry's table, its select list (`columns`, default `*`), by the first column. */
export async function entryRows(em: EntityManager, e: CoverageEntry & { match: string }, keys: SubjectKeys): Promise<Record<string, unknown>[]> {
  const q = bindNamed(`select ${e.columns ?? '*'} from ${e.table} where ${e.match} order by 1`, keys);
  return sqlOf(em)(q.sql, q.params);
}

/** How many of the entry's rows match the person. */
export async function entryRowCount(em: EntityManager, e: CoverageEntry & { match: string }, values: BindValues): Promise<number> {
  const q = bindNamed(`select count(*)::int as n from ${e.table} where ${e.match}`, values);
  const [r] = await sqlOf(em)<{ n: number }>(q.sql, q.params);
  return r!.n;
}

/** The person's orders (the entry's table): how many, how many are past retention at :now, and the last day any is kept. */
export async function orderRetentionCounts(
  em: EntityManager,
  e: CoverageEntry & { match: string },
  values: BindValues,
): Promise<{ found: number; expired: number; kept_until: string | null }> {
  const q = bindNamed(
    `select count(*)::int as found, count(*) filter (where ${ORDER_KEPT_UNTIL} < (:now)::date)::int as expired,
            max(${ORDER_KEPT_UNTIL})::text as kept_until
       from ${e.table} where ${e.match}`,
    values,
  );
  const [r] = await sqlOf(em)<{ found: number; expired: number; kept_until: string | null }>(q.sql, q.params);
  return r!;
}

/**
 * Runs one erase statement inside `em`'s transaction and says how many rows it touched. Through
 * knex's raw, not sqlOf: an UPDATE or DELETE without RETURNING yields no rows, only its rowCount.
 */
export async function runEraseStatement(em: EntityManager, statement: string, values: BindValues): Promise<number> {
  const runner = (em.getTransactionContext() ?? em.getConnection().getKnex()) as { raw(sql: string, b: unknown[]): Promise<{ rowCount?: number }> };
  const q = bindNamed(statement, values);
  const res = await runner.raw(q.sql, q.params);
  return res.rowCount ?? 0;
}

/** Deletes every order past its bookkeeping period at `values.now`; returns how many. */
export async function deleteExpiredOrders(em: EntityManager, values: BindValues): Promise<number> {
  const q = bindNamed(`delete from customer_order where ${ORDER_EXPIRED} returning id`, values);
  return (await sqlOf(em)(q.sql, q.params)).length;
}
