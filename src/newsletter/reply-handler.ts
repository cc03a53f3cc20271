import type { EntityManager } from '@mikro-orm/postgresql';
import type { FilingOutcome } from '../ingest/ingest-processor.ts';
import type { InboundForFiling } from '../ingest/inbound-record.ts';
import type { MessageFacts } from '../classify/message-facts.ts';
import type { Classification } from '../classify/classify.ts';
import type { FilingDeps } from '../handlers/filing-deps.ts';
import { enqueueEmail, newMessageId } from '../outbox/enqueue-store.ts';
import { verifyToken } from './tokens.ts';
import { findSubscriber, suppress, unsubscribeAll } from './subscribers.ts';
import { readCampaignMessageId } from './render.ts';
import { campaignExists } from './campaign-store.ts';
import { senderHeaders } from '../mail/address.ts';
import { senderOf } from '../mail/senders.ts';

/**
 * A reply to a newsletter ("meld meg av", "unsubscribe", or the List-Unsubscribe mailto): the
 * sender is unsubscribed from every list and gets one confirmation; no ticket, no triage.
 * Returns null when it is not an unsubscribe from a known subscriber (staff triage it then).
 */
export async function handleNewsletterReply(
  em: EntityManager,
  message: InboundForFiling,
  facts: MessageFacts,
  c: Classification,
  deps: FilingDeps,
): Promise<FilingOutcome | null> {
  const tokenInSubject = /unsubscribe\s+(u\.[0-9a-z-]+\.[A-Za-z0-9_-]+)/.exec(facts.subject)?.[1];
  const fromToken = tokenInSubject ? verifyToken(deps.secret, 'u', tokenInSubject, 1)?.[0] : undefined;
  const wantsOut = !!fromToken || (c.privacyRights ?? []).includes('unsubscribe');
  if (!wantsOut) return null;
  const sub = fromToken ? await findSubscriber(em, { id: fromToken }) : await findSubscriber(em, { email: facts.from.address });
  if (!sub) {
    // Not (or no longer) a subscriber: the address goes on the list all the same, so no later
    // import or campaign reaches it; staff still see the mail in triage.
    if (!fromToken && !message.archive) await suppress(em, deps.secret, facts.from.address, 'unsubscribe', 'mail');
    return null;
  }
  const campaign = readCampaignMessageId(facts.inReplyTo)?.campaignId;
  const known = campaign ? await campaignExists(em, campaign) : false;
  await unsubscribeAll(em, deps.secret, sub.id, fromToken ? 'mailto' : 'reply', null, known ? campaign : undefined);
  if (!message.archive) {
    const lang = sub.language === 'en' || c.language === 'en' ? 'en' : 'nb';
    const mail = deps.templates.render('newsletter-unsubscribed', lang, { orgName: deps.orgName, name: sub.name });
    await enqueueEmail(
      em,
      {
        ...senderHeaders(senderOf(deps, 'newsletter')),
        to: [sub.email],
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: newMessageId(deps.messageIdDomain),
        inReplyTo: facts.messageId,
        references: [...facts.references, ...(facts.messageId ? [facts.messageId] : [])],
        headers: { 'Auto-Submitted': 'auto-replied' },
      },
      { dedupeKey: `newsletter-unsubscribed:${message.id}` },
    );
  }
  return { outcome: 'newsletter-unsubscribe', recordRef: `SUBSCRIBER-${sub.id}`, language: c.language };
}
