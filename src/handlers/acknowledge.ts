import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { enqueueEmail } from '../outbox/enqueue.ts';
import { makeMessageId } from '../threading/thread-token.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { recordOnTimeline } from '../records/timeline.ts';
import { shouldAcknowledge } from './ack-policy.ts';
import type { FilingDeps } from './filing-deps.ts';
import type { Language } from '../classify/language.ts';

export interface AckRequest {
  kind: 'ticket' | 'lead';
  ref: string;
  to: { address: string; name?: string };
  contactId: string;
  leadId?: string;
  language: Language;
  subject: string;
  /** The customer's message, so the acknowledgement threads under it in their mail client. */
  inReplyTo?: string;
  references: string[];
}

/**
 * Sends (through the outbox, in the filing transaction) the one acknowledgement a new record
 * gets, unless the policy says no: robots, no-reply addresses, more than N an hour to one
 * address. Returns whether one was queued.
 */
export async function acknowledge(em: EntityManager, req: AckRequest, deps: FilingDeps): Promise<{ sent: boolean; reason: string }> {
  const sql = sqlOf(em);
  const recipient = normaliseAddress(req.to.address);
  const [{ recent, already }] = (await sql<{ recent: string; already: boolean }>(
    `select (select count(*) from acknowledgement where recipient = ? and created_at > now() - interval '1 hour') as recent,
            exists (select 1 from acknowledgement where record_ref = ?) as already`,
    [recipient, req.ref],
    { name: 'ack-recent' },
  )) as [{ recent: string; already: boolean }];
  const decision = shouldAcknowledge({
    automatedKind: null,
    fromAddress: recipient,
    isReplyToExistingTicket: false,
    ticketAlreadyAcknowledged: already,
    recentAcksToRecipient: Number(recent),
    maxPerHour: deps.maxAcksPerHour,
    ownAddresses: [deps.mailFrom],
    ownDomains: deps.ownDomains,
  });
  if (!decision.send) return { sent: false, reason: decision.reason };

  const rendered = deps.templates.render(req.kind === 'ticket' ? 'ack-ticket' : 'ack-lead', req.language, {
    ref: req.ref,
    subject: req.subject || '(no subject)',
    name: req.to.name,
    orgName: deps.orgName,
  });
  const messageId = makeMessageId({ ticketRef: req.ref }, deps.secret, deps.messageIdDomain);
  const references = [...req.references, ...(req.inReplyTo && !req.references.includes(req.inReplyTo) ? [req.inReplyTo] : [])];
  const outboxId = await enqueueEmail(
    em,
    {
      from: `"${deps.fromName}" <${deps.mailFrom}>`,
      to: [req.to.name ? `"${req.to.name.replace(/"/g, '')}" <${req.to.address}>` : req.to.address],
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId,
      inReplyTo: req.inReplyTo,
      references: references.length ? references : undefined,
      headers: {
        // RFC 3834: tells well-behaved responders not to answer us, which stops loops early.
        'Auto-Submitted': 'auto-replied',
        'X-Auto-Response-Suppress': 'All',
        'X-Mailroom-Id': req.ref,
      },
    },
    { dedupeKey: `ack:${req.ref}` },
  );
  await sql('insert into acknowledgement (record_ref, recipient, outbox_id) values (?, ?, ?) on conflict (record_ref) do nothing', [req.ref, recipient, outboxId], { name: 'ack-insert' });
  await sql(`update ${req.kind === 'ticket' ? 'ticket' : 'lead'} set acknowledged_at = now() where ref = ?`, [req.ref], { name: `ack-mark-${req.kind}` });
  await recordOnTimeline(em, { recordRef: req.ref, direction: 'out', outboxId, messageId, fromAddress: deps.mailFrom, author: 'mailroom', subject: rendered.subject, bodyNew: rendered.text, contactId: req.contactId, leadId: req.leadId });
  return { sent: true, reason: decision.reason };
}
