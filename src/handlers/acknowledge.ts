import type { EntityManager } from '@mikro-orm/postgresql';
import type { OutgoingEmail } from '../outbox/outgoing-email.ts';
import { makeMessageId } from '../threading/thread-token.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { timelineSourceRow } from '../records/timeline-store.ts';
import { queueAcknowledgements, type AcknowledgementRow } from '../records/acknowledgement-store.ts';
import { shouldAcknowledge } from './ack-policy.ts';
import type { FilingDeps } from './filing-deps.ts';
import type { Language } from '../classify/language.ts';
import { formatMailbox, senderHeaders } from '../mail/address.ts';
import { senderAddresses, senderOf } from '../mail/senders.ts';

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

export interface AckResult {
  sent: boolean;
  reason: string;
}

/**
 * Sends (through the outbox, in the filing transaction) the one acknowledgement a new record
 * gets, unless the policy says no: robots, no-reply addresses, more than N an hour to one
 * address. Returns whether one was queued.
 */
export async function acknowledge(em: EntityManager, req: AckRequest, deps: FilingDeps): Promise<AckResult> {
  return (await acknowledgeAll(em, [req], deps))[0]!;
}

/**
 * acknowledge for several new records of one kind at once (a batch of new tickets): one
 * statement for all of them. Results are in the order of `reqs`.
 *
 * What the policy can decide from the message alone is decided first. What needs the
 * database (already acknowledged? how many to this address this hour?) is checked by the
 * same statement that queues the mail, marks the record and puts it on the timeline. Two
 * requests to one address in the same call count against each other in order.
 */
export async function acknowledgeAll(em: EntityManager, reqs: AckRequest[], deps: FilingDeps): Promise<AckResult[]> {
  const results: AckResult[] = new Array(reqs.length);
  const policy = (recipient: string, recent: number, already: boolean) =>
    shouldAcknowledge({
      automatedKind: null,
      fromAddress: recipient,
      isReplyToExistingTicket: false,
      ticketAlreadyAcknowledged: already,
      recentAcksToRecipient: recent,
      maxPerHour: deps.maxAcksPerHour,
      ownAddresses: [deps.mailFrom, ...senderAddresses(deps.senders ?? {})],
      ownDomains: deps.ownDomains,
    });
  const byKind = new Map<AckRequest['kind'], AcknowledgementRow[]>();
  reqs.forEach((req, ord) => {
    const recipient = normaliseAddress(req.to.address);
    const early = policy(recipient, 0, false);
    if (!early.send) {
      results[ord] = { sent: false, reason: early.reason };
      return;
    }
    const mail = acknowledgementMail(req, deps);
    const rows = byKind.get(req.kind) ?? [];
    rows.push({
      ...timelineSourceRow({ recordRef: req.ref, direction: 'out', messageId: mail.messageId, fromAddress: senderOf(deps, req.kind === 'ticket' ? 'support' : 'sales').from.address, author: 'mailroom', subject: mail.subject, bodyNew: mail.text, contactId: req.contactId, leadId: req.leadId }),
      ord,
      recipient,
      payload: mail,
    });
    byKind.set(req.kind, rows);
  });
  for (const [kind, rows] of byKind) {
    // The outbox row, only when the database's checks pass; the acknowledgement row, the
    // record's mark and its timeline entry go with it, in one statement for the batch.
    const gates = await queueAcknowledgements(em, kind, rows, deps.maxAcksPerHour);
    const recipients = new Map(rows.map((r) => [r.ord, r.recipient]));
    for (const g of gates) {
      const decision = policy(recipients.get(g.ord)!, Number(g.recent), g.already);
      results[g.ord] = g.outbox_id
        ? { sent: true, reason: decision.reason }
        : { sent: false, reason: decision.send ? 'acknowledgement already queued' : decision.reason };
    }
  }
  return results;
}

/** The acknowledgement mail itself, rendered from the record kind's template in the customer's language. */
function acknowledgementMail(req: AckRequest, deps: FilingDeps): OutgoingEmail & { messageId: string; subject: string; text: string } {
  const rendered = deps.templates.render(req.kind === 'ticket' ? 'ack-ticket' : 'ack-lead', req.language, {
    ref: req.ref,
    subject: req.subject || '(no subject)',
    name: req.to.name,
    orgName: deps.orgName,
  });
  const messageId = makeMessageId({ ticketRef: req.ref }, deps.secret, deps.messageIdDomain);
  const references = [...req.references, ...(req.inReplyTo && !req.references.includes(req.inReplyTo) ? [req.inReplyTo] : [])];
  return {
    ...senderHeaders(senderOf(deps, req.kind === 'ticket' ? 'support' : 'sales')),
    to: [formatMailbox({ name: req.to.name ?? '', address: req.to.address })],
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
  };
}
