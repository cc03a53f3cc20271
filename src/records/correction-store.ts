/**
 * Staff corrections of routing: each time a person decides where a message belongs (a triage
 * item resolved, a ticket or lead moved to another queue), the decision is recorded against
 * the message, so `mailroom classify corrections` can hand them back as labelled examples for
 * `mailroom classify eval` and for tuning the rules. Named queries over classification_correction.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export interface CorrectionInput {
  inboundMessageId: string;
  /** What classification said: a route ('triage', 'support', …) or the triage item's suggestion. */
  originalRoute: string;
  correctedRoute: string;
  /** The record the decision made (a ticket or lead), if any. */
  recordRef?: string | null;
  source: 'triage' | 'reclassify';
  /** Who decided (staff name or Slack user). */
  by: string;
}

/** One call where a route is decided by staff; runs in the caller's transaction. */
export async function recordCorrection(em: EntityManager, c: CorrectionInput): Promise<void> {
  await sqlOf(em)(
    `insert into classification_correction (inbound_message_id, original_route, corrected_route, record_ref, source, decided_by) values (?, ?, ?, ?, ?, ?)`,
    [c.inboundMessageId, c.originalRoute, c.correctedRoute, c.recordRef ?? null, c.source, c.by],
  );
}

/** A correction as a labelled example (stable field names: the `--json` contract). */
export interface CorrectionExample {
  id: string;
  at: Date;
  by: string;
  source: string;
  originalRoute: string;
  correctedRoute: string;
  recordRef: string | null;
  inboundMessageId: string;
  from: string | null;
  subject: string | null;
  body: string;
}

export async function listCorrections(em: EntityManager, o: { limit: number }): Promise<CorrectionExample[]> {
  return sqlOf(em)<CorrectionExample>(
    `select c.id::text as id, c.created_at as "at", c.decided_by as "by", c.source, c.original_route as "originalRoute",
            c.corrected_route as "correctedRoute", c.record_ref as "recordRef", c.inbound_message_id::text as "inboundMessageId",
            m.from_address as "from", m.subject, coalesce(m.parsed->>'text', '') as body
       from classification_correction c join inbound_message m on m.id = c.inbound_message_id
      order by c.id desc limit ?`,
    [o.limit],
  );
}
