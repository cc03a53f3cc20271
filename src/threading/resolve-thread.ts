/**
 * Decides which existing record (ticket or lead) an inbound message continues, if any.
 *
 * Signals, strongest first; the first that applies decides:
 *   1. token   — a valid signed token (our own Message-ID) in In-Reply-To/References;
 *   2. headers — In-Reply-To/References naming a Message-ID we stored on a record;
 *   3. subject — an ID like [SUP-000123] in the subject, trusted only when the sender is a
 *                participant of that record or belongs to its organisation; a stranger
 *                quoting a number gets a NEW record linked to it ('new-linked'), so they
 *                can never read or join someone else's case by guessing or copying an ID;
 *   4. none    — a new record.
 *
 * Pure: the caller pre-fetches what `threadLookupKeys` asks for and passes it in.
 */
import type { MessageFacts } from '../classify/message-facts.ts';
import { readThreadToken } from './thread-token.ts';
import { domainOf, isFreeMailDomain, normaliseAddress } from './normalise-address.ts';

export type ThreadSignal = 'token' | 'headers' | 'subject' | 'none';

export type ThreadDecision =
  | { kind: 'existing'; recordRef: string; signal: 'token' | 'headers' | 'subject'; reason: string }
  | { kind: 'new-linked'; linkedRef: string; signal: 'subject'; reason: string }
  | { kind: 'new'; signal: 'none'; reason: string };

export interface ThreadRecordInfo {
  /** Normalised addresses of everyone who has written on, or been written to on, the record. */
  participants: readonly string[];
  /** Domains of the record's organisation (free-mail domains are ignored even if listed). */
  organisationDomains: readonly string[];
  /** Normalised addresses of the organisation's contacts. */
  organisationContacts: readonly string[];
}

export interface ThreadLookups {
  /** Key(s) for signed tokens; several while a key is being rotated. */
  secret: string | readonly string[];
  /** Record ID prefixes recognised in subjects, e.g. ['SUP', 'LEAD']. */
  prefixes: readonly string[];
  /** normaliseMessageId(id) → record ref, for the ids named by threadLookupKeys. */
  messageIds: ReadonlyMap<string, string>;
  /** record ref (canonical, upper-case) → record, for the refs named by threadLookupKeys. */
  records: ReadonlyMap<string, ThreadRecordInfo>;
  /**
   * Result of sender authentication (DMARC) when known. `false` withdraws subject-token
   * trust: a forged From must not be able to join a case by quoting its ID.
   */
  senderAuthenticated?: boolean;
  /** Extra domains to treat as free-mail (never organisation-wide trust). */
  freeMailDomains?: readonly string[];
  /** Trust colleagues by organisation domain, not only listed contacts (default true). */
  trustOrganisationDomain?: boolean;
}

/** Canonical key for stored Message-IDs: no brackets, trimmed, lower-cased (some MTAs lower-case them). */
export function normaliseMessageId(id: string): string {
  return id.trim().replace(/^<+|>+$/g, '').trim().toLowerCase();
}

/** Message-IDs in a header value that may hold several (References) or junk around them. */
export function messageIdsIn(value: string | undefined): string[] {
  if (!value) return [];
  const bracketed = value.match(/<[^<>\s]+>/g);
  const ids = bracketed ?? value.split(/[\s,]+/);
  return ids.map(normaliseMessageId).filter((id) => id.includes('@'));
}

const REPLY_PREFIX =
  /^\s*(?:(?:re|sv|svar|aw|antw|antwort|vs|fw|fwd|wg|tr|rv|enc|odp|vá|ynt|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+/i;

/**
 * Subject with reply/forward prefixes (Re:, SV:, Fwd:, VS:, AW:, Antw:, WG:, TR:, …,
 * repeated or counted like "Re[2]:") and surrounding whitespace removed. Mailing-list
 * tags and ticket IDs are kept: they are content for the reader.
 */
export function normaliseSubject(subject: string): string {
  let s = (subject ?? '').replace(/\s+/g, ' ').trim();
  for (;;) {
    const next = s.replace(REPLY_PREFIX, '').trim();
    if (next === s) return s;
    s = next;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Record IDs mentioned in a subject, canonical upper-case, in order, without duplicates.
 * Matches "[SUP-000123]", "SUP-000123" and "sup-000123"; the digits are kept as written
 * (no re-padding). A bare number, or prefix and number without the dash, is not an ID:
 * "Bestilling 4471" must never thread onto anything.
 */
export function extractSubjectRefs(subject: string, prefixes: readonly string[]): string[] {
  if (!subject || prefixes.length === 0) return [];
  const alt = prefixes.map(escapeRegExp).join('|');
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(${alt})-(\\d{1,12})(?![\\p{L}\\p{N}])`, 'giu');
  const out: string[] = [];
  for (const m of subject.matchAll(re)) {
    const ref = `${m[1].toUpperCase()}-${m[2]}`;
    if (!out.includes(ref)) out.push(ref);
  }
  return out;
}

/** What the caller must pre-fetch for `resolveThread`: stored ids and the records named. */
export function threadLookupKeys(
  facts: Pick<MessageFacts, 'inReplyTo' | 'references' | 'subject'>,
  prefixes: readonly string[],
  secret: string | readonly string[],
): { messageIds: string[]; recordRefs: string[] } {
  const messageIds = [...new Set([...messageIdsIn(facts.inReplyTo), ...facts.references.flatMap((r) => messageIdsIn(r))])];
  const refs = extractSubjectRefs(facts.subject, prefixes);
  const token = readThreadToken([facts.inReplyTo ?? '', ...facts.references].join(' '), secret);
  if (token && !refs.includes(token.ticketRef)) refs.push(token.ticketRef);
  return { messageIds, recordRefs: refs };
}

export function resolveThread(
  facts: Pick<MessageFacts, 'inReplyTo' | 'references' | 'subject' | 'from'>,
  lookups: ThreadLookups,
): ThreadDecision {
  // In-Reply-To names the message being answered directly; References lists the
  // ancestry oldest first. So: In-Reply-To, then References newest to oldest.
  const inReplyTo = messageIdsIn(facts.inReplyTo);
  const references = facts.references.flatMap((r) => messageIdsIn(r)).reverse();
  const ordered = [...new Set([...inReplyTo, ...references])];

  // 1. signed token
  for (const id of ordered) {
    const token = readThreadToken(`<${id}>`, lookups.secret);
    if (token) {
      return { kind: 'existing', recordRef: token.ticketRef, signal: 'token', reason: `signed token for ${token.ticketRef} in <${id}>` };
    }
  }

  // 2. stored Message-IDs
  for (const id of ordered) {
    const ref = lookups.messageIds.get(id);
    if (ref) return { kind: 'existing', recordRef: ref, signal: 'headers', reason: `<${id}> belongs to ${ref}` };
  }

  // 3. subject ID, trusted only for participants and the record's organisation
  const refs = extractSubjectRefs(facts.subject, lookups.prefixes);
  const sender = normaliseAddress(facts.from.address);
  const senderDomain = domainOf(sender);
  const freeMail = senderDomain ? isFreeMailDomain(senderDomain, lookups.freeMailDomains ?? []) : true;
  let firstKnown: string | undefined;
  const refusals: string[] = [];
  for (const ref of refs) {
    const record = lookups.records.get(ref);
    if (!record) {
      refusals.push(`${ref} unknown`);
      continue;
    }
    firstKnown ??= ref;
    if (lookups.senderAuthenticated === false) {
      refusals.push(`${ref}: sender not authenticated`);
      continue;
    }
    if (!sender) {
      refusals.push(`${ref}: no sender address`);
      continue;
    }
    if (record.participants.some((p) => normaliseAddress(p) === sender)) {
      return { kind: 'existing', recordRef: ref, signal: 'subject', reason: `${ref} in subject; ${sender} is a participant` };
    }
    if (record.organisationContacts.some((c) => normaliseAddress(c) === sender)) {
      return { kind: 'existing', recordRef: ref, signal: 'subject', reason: `${ref} in subject; ${sender} is a contact of its organisation` };
    }
    if (
      (lookups.trustOrganisationDomain ?? true) &&
      senderDomain &&
      !freeMail &&
      record.organisationDomains.some((d) => d.trim().toLowerCase() === senderDomain && !isFreeMailDomain(d, lookups.freeMailDomains ?? []))
    ) {
      return { kind: 'existing', recordRef: ref, signal: 'subject', reason: `${ref} in subject; ${sender} is at its organisation's domain` };
    }
    refusals.push(`${ref}: ${sender || 'sender'} is not a participant or colleague`);
  }
  if (firstKnown) {
    return { kind: 'new-linked', linkedRef: firstKnown, signal: 'subject', reason: `new record linked to ${firstKnown} (${refusals.join('; ')})` };
  }
  return {
    kind: 'new',
    signal: 'none',
    reason: refusals.length ? `no usable thread signal (${refusals.join('; ')})` : 'no thread signal',
  };
}
