/**
 * Whether a newly filed message earns an acknowledgement. Pure; the caller supplies the
 * facts it already knows (automated-mail detection, ticket state, a count of recent
 * acknowledgements to the same address).
 *
 * The rules exist to stop mail loops and noise: an acknowledgement to a robot can start
 * an endless exchange (RFC 3834), and a chatty customer should not get one per reply.
 */
import { normaliseAddress } from '../threading/normalise-address.ts';
import { isNoReplyAddress } from '../mail/address.ts';

export type AutomatedKind = 'bounce' | 'auto-reply' | 'list' | 'loop' | 'none' | null | undefined;

export interface AckInput {
  /** From automated-mail detection; anything but none/null/undefined means "a robot". */
  automatedKind?: AutomatedKind;
  /** The address the acknowledgement would go to (the requester, e.g. a contact form's person). */
  fromAddress: string | null | undefined;
  isReplyToExistingTicket: boolean;
  ticketAlreadyAcknowledged: boolean;
  /** Acknowledgements already sent (or queued) to this address during the last hour. */
  recentAcksToRecipient: number;
  /** Default 3. */
  maxPerHour?: number;
  /** Our own addresses and domains: mail from ourselves is a loop. */
  ownAddresses?: readonly string[];
  ownDomains?: readonly string[];
}

export interface AckDecision {
  send: boolean;
  reason: string;
}

export const DEFAULT_MAX_ACKS_PER_HOUR = 3;

export function shouldAcknowledge(input: AckInput): AckDecision {
  const address = normaliseAddress(input.fromAddress);
  const max = input.maxPerHour ?? DEFAULT_MAX_ACKS_PER_HOUR;
  if (input.automatedKind && input.automatedKind !== 'none') {
    return { send: false, reason: `automated message (${input.automatedKind})` };
  }
  if (!address) return { send: false, reason: 'no usable recipient address' };
  if (isNoReplyAddress(address)) return { send: false, reason: `${address} is a no-reply address` };
  const domain = address.slice(address.lastIndexOf('@') + 1);
  if (
    (input.ownAddresses ?? []).some((a) => normaliseAddress(a) === address) ||
    (input.ownDomains ?? []).some((d) => d.trim().toLowerCase() === domain)
  ) {
    return { send: false, reason: `${address} is one of our own addresses (loop)` };
  }
  if (input.isReplyToExistingTicket) return { send: false, reason: 'reply on an existing ticket: one acknowledgement per ticket' };
  if (input.ticketAlreadyAcknowledged) return { send: false, reason: 'ticket already acknowledged' };
  if (input.recentAcksToRecipient >= max) {
    return { send: false, reason: `rate limit: ${input.recentAcksToRecipient} acknowledgements to ${address} in the last hour (max ${max})` };
  }
  return { send: true, reason: 'first acknowledgement for a new ticket' };
}
