import type { EntityManager } from '@mikro-orm/postgresql';
import type { AutomatedMailResult } from '../ingest/automated-mail.ts';
import { normaliseEmail } from './deps.ts';
import { readCampaignMessageId } from './render.ts';
import { findSubscriber, suppress, unsubscribeAll } from './subscribers.ts';
import { lockSubscriberByEmail, setSoftBounces } from './subscriber-store.ts';
import { campaignExists, markLatestSentBounced, recipientEmail } from './campaign-store.ts';

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
    const sub = await lockSubscriberByEmail(em, email);
    if (!sub) continue;
    n++;
    await markLatestSentBounced(em, sub.id, campaign?.campaignId ?? null, `${r.hard ? 'hard' : 'soft'} bounce ${r.status ?? ''} ${r.diagnostic ?? ''}`.trim().slice(0, 500));
    if (r.hard) {
      await suppress(em, secret, email, 'hard-bounce', 'bounce');
    } else {
      const soft = sub.soft_bounces + 1;
      await setSoftBounces(em, sub.id, soft);
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
  const known = campaign ? await campaignExists(em, campaign.campaignId) : false;
  const recipients = [...automated.bounce.recipients];
  if (recipients.length === 0 && known) {
    // Some reporters redact the address; the campaign's Message-ID still names who got it.
    const email = await recipientEmail(em, campaign!.campaignId, campaign!.subscriberId);
    if (email) recipients.push({ address: email, action: 'complaint', hard: false });
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
