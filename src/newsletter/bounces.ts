import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { AutomatedMailResult } from '../ingest/automated-mail.ts';
import { normaliseEmail } from './deps.ts';
import { readCampaignMessageId } from './render.ts';
import { findSubscriber, suppress, unsubscribeAll } from './subscribers.ts';

/**
 * Bounces from ingest, in the filing transaction: the recipient row of the campaign (from the
 * returned Message-ID when present, else the latest sent row to that address) becomes
 * 'bounced'; a hard bounce suppresses the address, soft bounces are counted and suppress it at
 * `softBounceLimit`. Returns how many subscribers were touched.
 */
export async function markNewsletterBounces(em: EntityManager, automated: AutomatedMailResult, softBounceLimit: number, secret: string): Promise<number> {
  if (automated.kind !== 'bounce' || !automated.bounce) return 0;
  const campaign = readCampaignMessageId(automated.bounce.originalMessageId);
  let n = 0;
  for (const r of automated.bounce.recipients) {
    const email = normaliseEmail(r.address);
    const [sub] = await sqlOf(em)<{ id: string; soft_bounces: number }>(`select id::text, soft_bounces from newsletter_subscriber where email = ? for update`, [email]);
    if (!sub) continue;
    n++;
    await sqlOf(em)(
      `update newsletter_recipient set status = 'bounced', last_error = ?
        where id = (select id from newsletter_recipient where subscriber_id = ? and status = 'sent' and (?::bigint is null or campaign_id = ?::bigint) order by sent_at desc nulls last limit 1)`,
      [`${r.hard ? 'hard' : 'soft'} bounce ${r.status ?? ''} ${r.diagnostic ?? ''}`.trim().slice(0, 500), sub.id, campaign?.campaignId ?? null, campaign?.campaignId ?? null],
    );
    if (r.hard) {
      await suppress(em, secret, email, 'hard-bounce', 'bounce');
    } else {
      const soft = sub.soft_bounces + 1;
      await sqlOf(em)(`update newsletter_subscriber set soft_bounces = ?, updated_at = now() where id = ?`, [soft, sub.id]);
      if (soft >= softBounceLimit) await suppress(em, secret, email, 'soft-bounces', 'bounce');
    }
  }
  return n;
}

/**
 * Spam complaints (ARF, RFC 5965; Hotmail JMRP; SES) and automated unsubscribes (Apple's
 * List-Unsubscribe mailto), in the filing transaction: each complainer is taken off every list
 * and put on the suppression list, as every mailing-list system does; nothing is answered. A
 * complainer who is no subscriber is suppressed all the same (they may be imported later).
 * Returns how many addresses were suppressed.
 */
export async function markNewsletterComplaints(em: EntityManager, automated: AutomatedMailResult, secret: string): Promise<number> {
  if (automated.kind !== 'feedback-report' || !automated.bounce) return 0;
  // "not-spam" reports a false positive: nothing to stop.
  if (automated.bounce.feedbackType === 'not-spam') return 0;
  const campaign = readCampaignMessageId(automated.bounce.originalMessageId);
  const [known] = campaign ? await sqlOf(em)(`select 1 from newsletter_campaign where id = ?`, [campaign.campaignId]) : [];
  const recipients = [...automated.bounce.recipients];
  if (recipients.length === 0 && known) {
    // Some reporters redact the address; the campaign's Message-ID still names who got it.
    const [row] = await sqlOf(em)<{ email: string }>(`select email from newsletter_recipient where campaign_id = ? and subscriber_id = ?`, [campaign!.campaignId, campaign!.subscriberId]);
    if (row) recipients.push({ address: row.email, action: 'complaint', hard: false });
  }
  let n = 0;
  for (const r of recipients) {
    const email = normaliseEmail(r.address);
    if (!email.includes('@')) continue;
    const reason = r.action === 'unsubscribe' ? 'unsubscribe' : 'complaint';
    const source = automated.bounce.format ?? 'complaint';
    const sub = await findSubscriber(em, { email });
    if (sub) await unsubscribeAll(em, secret, sub.id, source, null, known ? campaign!.campaignId : undefined, reason);
    else await suppress(em, secret, email, reason, source);
    n++;
  }
  return n;
}
