/**
 * A staff member answers a ticket (CLI `tickets reply`, Slack's Reply modal): one threaded
 * email through the outbox, recorded on the ticket's timeline and in the requester's email log,
 * all in one transaction.
 *
 * Threading: the Message-ID carries the signed ticket token (makeMessageId), so whatever the
 * customer's client does with the subject, their answer comes back to this ticket;
 * In-Reply-To/References continue the customer's last message, so it also shows as one
 * conversation in their mail client.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueEmail } from '../outbox/enqueue-store.ts';
import { makeMessageId } from '../threading/thread-token.ts';
import { lastInboundMessageOf, recordOnTimeline } from './timeline-store.ts';
import { lockTicketWithRequester, setTicketStatus, touchTicket } from './ticket-store.ts';
import type { FilingDeps } from '../handlers/filing-deps.ts';
import type { OutgoingEmail } from '../outbox/outgoing-email.ts';
import { closeTasksOfRecord } from '../tasks/task-endings.ts';
import { formatMailbox, senderHeaders } from '../mail/address.ts';
import { senderOf } from '../mail/senders.ts';

export type StaffReplyDeps = Pick<FilingDeps, 'secret' | 'messageIdDomain' | 'mailFrom' | 'fromName' | 'senders' | 'orgName'>;

export interface StaffReplyInput {
  ref: string;
  text: string;
  /** The staff member's name, signed under the text and recorded as the author. */
  author?: string;
  /** Same key, one email: for callers that may submit twice (a double click in Slack). */
  dedupeKey?: string;
}

export interface StaffReplyResult {
  ref: string;
  outboxId: string | null;
  messageId: string;
  to: string;
  subject: string;
  inReplyTo: string | null;
  references: string[];
  /** False when `dedupeKey` had been used before: nothing new was queued. */
  queued: boolean;
}

/** Why a reply cannot be sent, in words for the person who asked. */
export class StaffReplyError extends Error {
  override name = 'StaffReplyError';
}

/** At most this many References: the first (thread root) and the newest ones (RFC 5322 §3.6.4 allows trimming). */
const MAX_REFERENCES = 20;

const REPLY_PREFIX = /^\s*((re|sv|aw|fw|fwd|vs|vb)\s*(\[\d+\])?\s*:\s*)+/i;

/** "Re: <subject> [REF]", without piling up Re:/SV: or repeating the ref. */
export function replySubject(subject: string, ref: string): string {
  const tokenRe = new RegExp(`\\s*\\[${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]\\s*`, 'gi');
  let base = subject.replace(tokenRe, ' ').replace(REPLY_PREFIX, '').replace(/\s+/g, ' ').trim();
  if (!base) base = '(no subject)';
  return `Re: ${base} [${ref}]`;
}

export function threadReferences(previous: string[], inReplyTo: string | null): string[] {
  const all = [...previous, ...(inReplyTo ? [inReplyTo] : [])].filter(Boolean);
  const unique = all.filter((id, i) => all.indexOf(id) === i);
  return unique.length > MAX_REFERENCES ? [unique[0]!, ...unique.slice(-(MAX_REFERENCES - 1))] : unique;
}

export async function replyToTicket(em: EntityManager, input: StaffReplyInput, deps: StaffReplyDeps): Promise<StaffReplyResult> {
  const text = input.text.replace(/\r\n/g, '\n').replace(/\s+$/, '');
  if (!text.trim()) throw new StaffReplyError('the reply is empty');
  const work = async (tx: EntityManager): Promise<StaffReplyResult> => {
    const ticket = await lockTicketWithRequester(tx, input.ref.trim().toUpperCase());
    if (!ticket) throw new StaffReplyError(`no ticket ${input.ref}`);
    if (!ticket.email) throw new StaffReplyError(`ticket ${ticket.ref} has no requester to answer`);

    // The customer's last message and the chain it continued.
    const last = await lastInboundMessageOf(tx, ticket.ref);
    const inReplyTo = last?.message_id ?? null;
    const references = threadReferences(Array.isArray(last?.refs) ? last.refs : [], inReplyTo);
    const subject = replySubject(ticket.subject, ticket.ref);
    const author = input.author?.trim() || undefined;
    const body = author ? `${text}\n\n-- \n${author}\n${deps.orgName}\n` : `${text}\n`;
    const messageId = makeMessageId({ ticketRef: ticket.ref }, deps.secret, deps.messageIdDomain);
    const mail: OutgoingEmail = {
      ...senderHeaders(senderOf(deps, 'support')),
      to: [formatMailbox({ name: ticket.name ?? '', address: ticket.email })],
      subject,
      text: body,
      messageId,
      ...(inReplyTo ? { inReplyTo } : {}),
      ...(references.length ? { references } : {}),
      headers: { 'X-Mailroom-Id': ticket.ref },
    };
    const outboxId = await enqueueEmail(tx, mail, input.dedupeKey ? { dedupeKey: `staff-reply:${ticket.ref}:${input.dedupeKey}` } : {});
    if (input.dedupeKey && outboxId === null) {
      return { ref: ticket.ref, outboxId: null, messageId, to: ticket.email, subject, inReplyTo, references, queued: false };
    }
    await recordOnTimeline(tx, { recordRef: ticket.ref, direction: 'out', outboxId, messageId, fromAddress: senderOf(deps, 'support').from.address, author: author ?? 'staff', subject, bodyNew: text, contactId: ticket.requester_id });
    await touchTicket(tx, ticket.id);
    return { ref: ticket.ref, outboxId, messageId, to: ticket.email, subject, inReplyTo, references, queued: true };
  };
  return em.isInTransaction() ? work(em) : em.transactional(work);
}

/** `tickets close|reopen`: returns the status before, or null when there is no such ticket. */
export async function changeTicketStatus(em: EntityManager, ref: string, status: 'open' | 'pending' | 'closed'): Promise<{ ref: string; from: string; to: string } | null> {
  const row = await setTicketStatus(em, ref.trim().toUpperCase(), status);
  if (!row) return null;
  // A closed ticket's tasks close with it (their Slack messages say so).
  if (status === 'closed' && row.before !== 'closed') await closeTasksOfRecord(em, row.ref, { reason: `${row.ref} closed` });
  return { ref: row.ref, from: row.before, to: status };
}
