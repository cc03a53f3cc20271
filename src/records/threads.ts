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

/** What the threading decision needs to know about the records a message names. */
export async function lookupRecords(em: EntityManager, refs: string[]): Promise<Map<string, ThreadRecordInfo>> {
  const out = new Map<string, ThreadRecordInfo>();
  if (refs.length === 0) return out;
  const sql = sqlOf(em);
  const rows = await sql<{ ref: string; organisation_id: string | null; participants: string[] | null }>(
    `select t.ref, t.organisation_id, array_remove(array_agg(c.email), null) as participants
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
      where l.ref = any(?::text[])`,
    [pgArray(refs.map((r) => r.toUpperCase())), pgArray(refs.map((r) => r.toUpperCase()))],
  );
  for (const r of rows) {
    let organisationDomains: string[] = [];
    let organisationContacts: string[] = [];
    if (r.organisation_id) {
      const [org] = await sql<{ domain: string | null }>('select domain from organisation where id = ?', [r.organisation_id]);
      organisationDomains = org?.domain ? [org.domain] : [];
      organisationContacts = (await sql<{ email: string }>('select email from contact where organisation_id = ?', [r.organisation_id])).map((c) => c.email);
    }
    out.set(r.ref, { participants: r.participants ?? [], organisationDomains, organisationContacts });
  }
  return out;
}
