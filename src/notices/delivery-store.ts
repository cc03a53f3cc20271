/**
 * Named queries over `notice_delivery`: who got which step of a notice, and so who was told
 * about it (the audience of its cancellation); the notice's queued mail withdrawn on cancel.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

/**
 * Who was told about a notice: contacts with a mail of it that left (or is leaving) for the
 * mail server. A mail withdrawn before sending, or one that failed for good, told nobody.
 * (SQL over a delivery row `d`.)
 */
export const REACHED_DELIVERY = `(d.outbox_id is null or exists (select 1 from outbox_message o where o.id = d.outbox_id and o.status in ('sending', 'sent')))`;

/** The Message-IDs already sent to the contact about the notice, oldest first (with `reachedOnly`, only mail that reached the server). */
export async function earlierMessageIds(em: EntityManager, noticeId: string, contactId: string, reachedOnly: boolean): Promise<string[]> {
  const rows = await sqlOf(em)<{ message_id: string }>(
    `select d.message_id from notice_delivery d where d.notice_id = ? and d.contact_id = ?${reachedOnly ? ` and ${REACHED_DELIVERY}` : ''} order by d.id`,
    [noticeId, contactId],
  );
  return rows.map((x) => x.message_id);
}

/** Records one step's mail to one contact (once per step and contact). */
export async function recordDelivery(
  em: EntityManager,
  d: { noticeId: string; stepId: string; contactId: string; organisationId: string | null; email: string; language: string; messageId: string; outboxId: string | null },
): Promise<void> {
  await sqlOf(em)(
    `insert into notice_delivery (notice_id, step_id, contact_id, organisation_id, email, language, message_id, outbox_id)
     values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (step_id, contact_id) do nothing`,
    [d.noticeId, d.stepId, d.contactId, d.organisationId, d.email, d.language, d.messageId, d.outboxId],
  );
}

/** How many contacts a mail of the notice reached. */
export async function reachedContactCount(em: EntityManager, noticeId: string): Promise<number> {
  const [told] = await sqlOf(em)<{ n: string }>(`select count(distinct d.contact_id) as n from notice_delivery d where d.notice_id = ? and ${REACHED_DELIVERY}`, [noticeId]);
  return Number(told!.n);
}

/** Withdraws the notice's mail still waiting in the outbox (not yet handed to the mail server); how many. */
export async function withdrawQueuedMail(em: EntityManager, noticeId: string): Promise<number> {
  const rows = await sqlOf(em)(
    `update outbox_message set status = 'cancelled', last_error = 'notice cancelled', updated_at = now()
      where status = 'pending' and id in (select outbox_id from notice_delivery where notice_id = ? and outbox_id is not null)
      returning id`,
    [noticeId],
  );
  return rows.length;
}
