import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { OutgoingEmail } from '../outbox/outgoing-email.ts';
import { makeMessageId } from '../threading/thread-token.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { timelineCtes } from '../records/timeline.ts';
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
 *
 * What the policy can decide from the message alone is decided first. What needs the
 * database (already acknowledged? how many to this address this hour?) is checked by the
 * same statement that queues the mail, marks the record and puts it on the timeline: one
 * statement rather than six.
 */
export async function acknowledge(em: EntityManager, req: AckRequest, deps: FilingDeps): Promise<{ sent: boolean; reason: string }> {
  const recipient = normaliseAddress(req.to.address);
  const policy = (recent: number, already: boolean) =>
    shouldAcknowledge({
      automatedKind: null,
      fromAddress: recipient,
      isReplyToExistingTicket: false,
      ticketAlreadyAcknowledged: already,
      recentAcksToRecipient: recent,
      maxPerHour: deps.maxAcksPerHour,
      ownAddresses: [deps.mailFrom],
      ownDomains: deps.ownDomains,
    });
  const early = policy(0, false);
  if (!early.send) return { sent: false, reason: early.reason };

  const rendered = deps.templates.render(req.kind === 'ticket' ? 'ack-ticket' : 'ack-lead', req.language, {
    ref: req.ref,
    subject: req.subject || '(no subject)',
    name: req.to.name,
    orgName: deps.orgName,
  });
  const messageId = makeMessageId({ ticketRef: req.ref }, deps.secret, deps.messageIdDomain);
  const references = [...req.references, ...(req.inReplyTo && !req.references.includes(req.inReplyTo) ? [req.inReplyTo] : [])];
  const mail: OutgoingEmail = {
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
  };
  // The outbox row is written as enqueueEmail writes it (same dedupe key rule), but only
  // when the checks pass; the acknowledgement row, the record's mark and its timeline entry
  // go with it.
  const entry = timelineCtes(
    'ack',
    { recordRef: req.ref, direction: 'out', outboxId: { sql: 'select id from o' }, messageId, fromAddress: deps.mailFrom, author: 'mailroom', subject: rendered.subject, bodyNew: rendered.text, contactId: req.contactId, leadId: req.leadId },
    'exists (select 1 from o)',
  );
  const [gate] = await sqlOf(em)<{ recent: string; already: boolean; outbox_id: string | null }>(
    `with gate as (
       select (select count(*) from acknowledgement where recipient = ? and created_at > now() - interval '1 hour') as recent,
              exists (select 1 from acknowledgement where record_ref = ?) as already),
     o as (
       insert into outbox_message (channel, dedupe_key, payload, message_id, next_attempt_at)
       select 'email', ?, ?, ?, now() from gate where not gate.already and gate.recent < ?
       on conflict (dedupe_key) do nothing
       returning id),
     a as (insert into acknowledgement (record_ref, recipient, outbox_id) select ?, ?, o.id from o on conflict (record_ref) do nothing),
     r as (update ${req.kind === 'ticket' ? 'ticket' : 'lead'} set acknowledged_at = now() where ref = ? and exists (select 1 from o)),
     ${entry.sql}
     select gate.recent, gate.already, (select id from o) as outbox_id from gate`,
    [
      recipient, req.ref,
      `ack:${req.ref}`, JSON.stringify(mail), messageId, deps.maxAcksPerHour,
      req.ref, recipient,
      req.ref,
      ...entry.params,
    ],
    { name: `ack-queue-${req.kind}` },
  );
  const decision = policy(Number(gate!.recent), gate!.already);
  if (!gate!.outbox_id) return { sent: false, reason: decision.send ? 'acknowledgement already queued' : decision.reason };
  return { sent: true, reason: decision.reason };
}
