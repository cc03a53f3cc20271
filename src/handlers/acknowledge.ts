import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { OutgoingEmail } from '../outbox/outgoing-email.ts';
import { outboxInsertSql } from '../outbox/enqueue.ts';
import { makeMessageId } from '../threading/thread-token.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { timelineCtes, timelineSource, timelineSourceRow } from '../records/timeline-store.ts';
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
  const byKind = new Map<AckRequest['kind'], Array<{ ord: number; recipient: string } & Record<string, unknown>>>();
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
    // The outbox row (enqueue's insert), only when the checks pass; the acknowledgement row,
    // the record's mark and its timeline entry go with it.
    const gates = await sqlOf(em)<{ ord: number; recent: string; already: boolean; outbox_id: string | null }>(
      `with input as (${timelineSource('ord int, recipient text, payload jsonb')}),
       gate as (
         select input.*,
                (select count(*) from acknowledgement a where a.recipient = input.recipient and a.created_at > now() - interval '1 hour')
                  + row_number() over (partition by input.recipient order by input.ord) - 1 as recent,
                exists (select 1 from acknowledgement a where a.record_ref = input.record_ref) as already
           from input),
       o as (${outboxInsertSql(`(select 'email' as channel, 'ack:' || record_ref as dedupe_key, payload, message_id, null::timestamptz as not_before
                                    from gate where not already and recent < ? order by ord) as due`)}),
       sent as (select g.record_ref, g.direction, g.inbound_message_id, o.id as outbox_id, g.message_id, g.thread_id, g.from_address, g.author,
                       g.subject, g.body_new, g.body_split, g.contact_id, g.lead_id, g.recipient
                  from gate g join o on o.dedupe_key = 'ack:' || g.record_ref),
       a as (insert into acknowledgement (record_ref, recipient, outbox_id) select record_ref, recipient, outbox_id from sent on conflict (record_ref) do nothing),
       r as (update ${kind === 'ticket' ? 'ticket' : 'lead'} set acknowledged_at = now() where ref in (select record_ref from sent)),
       ${timelineCtes('ack', 'sent')}
       select g.ord, g.recent, g.already, s.outbox_id from gate g left join sent s on s.record_ref = g.record_ref`,
      [JSON.stringify(rows), deps.maxAcksPerHour],
      { name: `ack-queue-${kind}` },
    );
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
