/**
 * What threading asks the database: which records earlier Message-IDs belong to, what is known
 * about the records a message names, and whether a message it answers is still being filed.
 * Raw SQL: filing asks these for every message; each is one statement for all the IDs it has.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';
import { normaliseMessageId } from '../threading/resolve-thread.ts';
import type { ThreadRecordInfo } from '../threading/resolve-thread.ts';

export async function lookupMessageIds(em: EntityManager, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await sqlOf(em)<{ message_id: string; record_ref: string }>(
    'select message_id, record_ref from thread_message_id where message_id = any(?::text[])',
    [pgArray(ids.map(normaliseMessageId))],
  );
  return new Map(rows.map((r) => [r.message_id, r.record_ref]));
}

/**
 * What the threading decision needs to know about the records a message names: participants,
 * and the organisation's domain and contacts. One query for all of them.
 */
export async function lookupRecords(em: EntityManager, refs: string[]): Promise<Map<string, ThreadRecordInfo>> {
  const out = new Map<string, ThreadRecordInfo>();
  if (refs.length === 0) return out;
  const upper = pgArray(refs.map((r) => r.toUpperCase()));
  const rows = await sqlOf(em)<{ ref: string; participants: string[] | null; org_domain: string | null; org_contacts: string[] | null }>(
    `select x.ref, x.participants, o.domain as org_domain,
            (select array_agg(oc.email) from contact oc where oc.organisation_id = x.organisation_id) as org_contacts
       from (
         select t.ref, t.organisation_id, array_remove(array_agg(c.email), null) as participants
           from ticket t
           left join ticket_participant tp on tp.ticket_id = t.id
           left join contact c on c.id = tp.contact_id
          where t.ref = any(?::text[]) group by t.ref, t.organisation_id
         union all
         select l.ref, l.organisation_id,
                -- a lead's participants: its contact and everyone whose mail has joined it
                array_remove(array[c.email], null) || coalesce(
                  (select array_agg(distinct rm.from_address) from record_message rm
                    where rm.record_ref = l.ref and rm.direction = 'in' and rm.from_address is not null), '{}'::text[])
           from lead l left join contact c on c.id = l.contact_id
          where l.ref = any(?::text[])
       ) as x
       left join organisation o on o.id = x.organisation_id`,
    [upper, upper],
  );
  for (const r of rows) {
    out.set(r.ref, {
      participants: r.participants ?? [],
      organisationDomains: r.org_domain ? [r.org_domain] : [],
      organisationContacts: r.org_contacts ?? [],
    });
  }
  return out;
}

/**
 * Whether a message stored before `messageId` (but not one of `filedBefore`, filed earlier in
 * this transaction and still 'stored' until it commits) has one of `ids` (normalised
 * Message-IDs) and is not filed yet.
 */
export async function earlierMessageOfThreadPending(em: EntityManager, messageId: string, ids: string[], filedBefore: string[]): Promise<boolean> {
  const pending = await sqlOf(em)(
    `select 1 from inbound_message
      where id < ? and state in ('stored', 'parsed') and lower(trim(both '<>' from message_id)) = any(?::text[]) and id <> all(?::bigint[]) limit 1`,
    [messageId, pgArray(ids), pgArray(filedBefore)],
  );
  return pending.length > 0;
}
