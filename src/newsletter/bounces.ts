import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { AutomatedMailResult } from '../ingest/automated-mail.ts';
import { normaliseEmail } from './deps.ts';
import { readCampaignMessageId } from './render.ts';
import { suppress } from './subscribers.ts';

/**
 * Bounces from ingest, in the filing transaction: the recipient row of the campaign (from the
 * returned Message-ID when present, else the latest sent row to that address) becomes
 * 'bounced'; a hard bounce suppresses the address, soft bounces are counted and suppress it at
 * `softBounceLimit`. Returns how many subscribers were touched.
 */
export async function markNewsletterBounces(em: EntityManager, automated: AutomatedMailResult, softBounceLimit: number): Promise<number> {
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
      await suppress(em, email, 'hard-bounce');
    } else {
      const soft = sub.soft_bounces + 1;
      await sqlOf(em)(`update newsletter_subscriber set soft_bounces = ?, updated_at = now() where id = ?`, [soft, sub.id]);
      if (soft >= softBounceLimit) await suppress(em, email, 'soft-bounces');
    }
  }
  return n;
}
