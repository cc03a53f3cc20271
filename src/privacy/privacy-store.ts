/** Named queries over the privacy cases for the people who read them (the CLI listings). */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export interface CaseOverviewRow {
  ref: string;
  state: string;
  identity: string;
  received_at: Date;
  due_date: string;
  extended_due_at: Date | null;
  language: string;
  /** Each right as `right:state`, joined by ', ' in the order they were asked for. */
  rights: string | null;
}

/** Cases, newest first; `open` leaves out those completed, denied or cancelled. */
export async function caseOverview(em: EntityManager, o: { open?: boolean; limit: number }): Promise<CaseOverviewRow[]> {
  return sqlOf(em)<CaseOverviewRow>(
    `select c.ref, c.state, c.identity, c.received_at, c.due_date, c.extended_due_at, c.language,
            (select string_agg("right" || ':' || state, ', ' order by id) from privacy_right r where r.case_id = c.id) as rights
       from privacy_case c ${o.open ? `where c.state not in ('completed', 'denied', 'cancelled')` : ''} order by c.id desc limit ?`,
    [o.limit],
  );
}

/** A case's audit trail, oldest first. */
export async function caseAuditTrail(
  em: EntityManager,
  caseId: string,
): Promise<{ at: Date; actorKind: string; actorName: string | null; action: string; detail: unknown }[]> {
  return sqlOf(em)(`select at, actor_kind as "actorKind", actor_name as "actorName", action, detail from privacy_audit where case_id = ? order by id`, [caseId]);
}
