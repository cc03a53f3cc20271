/** The campaign recipients as a claim queue (src/queue/): its claim, and the shared queries for the rest. */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClaimStore } from '../queue/claim-store.ts';
import { tableClaimStore } from '../queue/table-claim-store.ts';
import { sqlOf } from '../db/sql.ts';

export interface RecipientRow {
  id: string;
  campaign_id: string;
  subscriber_id: string;
  email: string;
  domain: string;
  attempts: number;
  created_at: Date;
  name: string | null;
  dnt: boolean;
  suppressed_reason: string | null;
}

/** Claims due rows of campaigns that are sending, a campaign's rows together, with what rendering needs of the subscriber. */
export function recipientQueueStore(em: EntityManager): ClaimStore<RecipientRow> {
  return tableClaimStore<RecipientRow>(em, { table: 'newsletter_recipient', waiting: 'queued', updatedAt: false, result: false, errorMaxLength: 500 }, (sql, workerId, limit) =>
    sql<RecipientRow>(
      `with due as (
         select r.id from newsletter_recipient r join newsletter_campaign c on c.id = r.campaign_id
          where r.status = 'queued' and r.next_attempt_at <= now() and c.status = 'sending'
          order by r.campaign_id, r.next_attempt_at, r.id
          limit ? for update of r skip locked)
       update newsletter_recipient r set status = 'sending', claimed_by = ?, claimed_at = now(), attempts = r.attempts + 1
         from due, newsletter_subscriber s
        where r.id = due.id and s.id = r.subscriber_id
       returning r.id::text, r.campaign_id::text, r.subscriber_id::text, r.email, r.domain, r.attempts, r.created_at, s.name, s.dnt, s.suppressed_reason`,
      [limit, workerId],
    ),
  );
}

/** Counts per status for a campaign (progress bars, tests). */
export async function recipientCounts(em: EntityManager, campaignId: string): Promise<Record<string, number>> {
  const rows = await sqlOf(em)<{ status: string; n: string }>(`select status, count(*) as n from newsletter_recipient where campaign_id = ? group by status`, [campaignId]);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
