import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

/** One count of the installation's state: outbox rows by status, inbound backlog, quarantine, open privacy cases by due bucket. */
export interface StateCount {
  kind: 'outbox' | 'backlog' | 'quarantine' | 'privacy';
  label: string | null;
  n: string;
}

/**
 * Every count the state gauges show, in one round trip; the quarantine and backlog counts use
 * partial indexes, the outbox count scans its table. The privacy buckets are those of
 * PRIVACY_DUE_BUCKETS (state-gauges.ts).
 */
export async function readStateCounts(em: EntityManager): Promise<StateCount[]> {
  return sqlOf(em)<StateCount>(
    `select 'outbox' as kind, status as label, count(*) as n from outbox_message group by status
     union all select 'backlog', null, count(*) from inbound_message where state in ('stored', 'parsed')
     union all select 'quarantine', null, count(*) from inbound_message where state = 'quarantined'
     union all select 'privacy', due, count(*) from (
       select case when d < now() then 'overdue'
                   when d < now() + interval '3 days' then '3d'
                   when d < now() + interval '7 days' then '7d'
                   else 'later' end as due
         from (select coalesce(extended_due_at, due_at) as d from privacy_case where closed_at is null) c
     ) p group by due`,
  );
}
