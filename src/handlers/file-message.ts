import type { EntityManager } from '@mikro-orm/postgresql';
import type { Filer, FilingOutcome } from '../ingest/ingest-processor.ts';
import { FileLaterError } from '../ingest/ingest-processor.ts';
import type { InboundForFiling } from '../ingest/inbound-record.ts';
import { factsOf, type MessageFacts } from '../classify/message-facts.ts';
import { classifyMessage, findRequester, type Classification, type ClassifyContext } from '../classify/classify.ts';
import { resolveThread, threadLookupKeys, normaliseMessageId, messageIdsIn } from '../threading/resolve-thread.ts';
import { splitReplyLines, splitReplyWithLines, type BodySplit, type SplitReply } from '../threading/quote-split.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { findContactWithOrganisation, findContactsWithOrganisation, organisationDomainOf, findOrganisation, findDealer, ensureContact, ensureProspectOrganisation, type ContactRow, type OrganisationRow } from '../records/contacts.ts';
import { earlierMessageOfThreadPending, lookupMessageIds, lookupRecords } from '../records/thread-store.ts';
import { recordOnTimeline } from '../records/timeline-store.ts';
import { prefixOf } from '../records/record-ids.ts';
import { triageRef } from '../tasks/triage-routes.ts';
import { createTickets, findTicket, addParticipant, reopenTicketOnReply } from '../records/ticket-store.ts';
import { upsertTriageItem } from '../records/triage-store.ts';
import { createLead, findLead } from '../records/lead-store.ts';
import { acknowledge, acknowledgeAll } from './acknowledge.ts';
import type { FilingDeps } from './filing-deps.ts';
import { handlePrivacyRequest } from '../privacy/case-service.ts';
import { handleNewsletterReply } from '../newsletter/reply-handler.ts';
import { markNewsletterBounces, markNewsletterComplaints } from '../newsletter/bounces.ts';

/**
 * The handler stage: one parsed message in, records and outbox rows out, all in the caller's
 * transaction. Read top to bottom: robots are recorded and never answered; replies join the
 * record they belong to; everything else is classified and becomes a ticket, a lead or a
 * triage item for staff.
 */
export function createFiler(base: FilingDeps): Filer {
  const depsOf = mailboxDepsOf(base);
  /**
   * `filedBefore`: messages of the same batch filed earlier in this transaction; `classified`:
   * what the batch already decided about this message (it names nothing, so nothing below
   * looks anything up before classifying).
   */
  const fileOne = async (em: EntityManager, message: InboundForFiling, filedBefore: string[] = [], classified?: Classified): Promise<FilingOutcome> => {
    const deps = depsOf(message);
    const automated = message.parsed.automated;
    if (automated.kind !== 'human') {
      if (automated.kind === 'bounce') await markNewsletterBounces(em, automated, deps.newsletter?.softBounceLimit ?? 3, deps.secret);
      // A spam complaint (ARF and its cousins): off every list, on the suppression list; never answered.
      if (automated.kind === 'feedback-report') await markNewsletterComplaints(em, automated, deps.secret);
      return { outcome: automated.kind };
    }

    const facts = factsOf(message.parsed);
    const thread = await decideThread(em, facts, deps);
    if (thread.kind === 'existing') {
      const appended = await appendToRecord(em, message, facts, thread.recordRef);
      if (appended) return appended;
    }
    await waitForEarlierMessagesOfThread(em, message, facts, filedBefore);

    const body = classified?.body ?? splitReplyWithLines(facts.text || '');
    const classification = classified?.classification ?? (await classify(em, facts, deps, body.parts));
    // A reply to something that is not a conversation (an operations notice, say) becomes a
    // new record linked to it.
    const linkedRef = thread.kind === 'new-linked' ? thread.linkedRef : thread.kind === 'existing' ? thread.recordRef : undefined;
    switch (classification.route) {
      case 'support':
        return (await openTickets(em, [{ message, facts, classification, linkedRef, bodySplit: body.lines }], deps))[0]!;
      case 'sales':
        return openLead(em, message, facts, classification, deps, linkedRef);
      case 'newsletter-reply':
        return (await handleNewsletterReply(em, message, facts, classification, deps)) ?? openTriage(em, message, facts, classification, deps);
      case 'privacy':
        return deps.privacy ? handlePrivacyRequest(em, message, facts, classification, deps.privacy) : openTriage(em, message, facts, classification, deps);
      default:
        // Spam and split evidence: staff decide (spam is one click away, and a real request
        // that looked like spam is not lost). Never a record, never an acknowledgement.
        return openTriage(em, message, facts, classification, deps);
    }
  };
  return Object.assign(fileOne, { many: (em: EntityManager, messages: InboundForFiling[]) => fileMany(em, messages, base, depsOf, fileOne) });
}

/**
 * The filing deps for a message: those of the mailbox it came in at (its default queue and
 * acknowledgement sender), or the base ones. One object per mailbox, so a batch can tell when
 * two messages are filed alike.
 */
function mailboxDepsOf(base: FilingDeps): (message: InboundForFiling) => FilingDeps {
  const cache = new Map<string, FilingDeps>();
  return (message) => {
    const m = message.mailbox ? base.mailboxes?.[message.mailbox] : undefined;
    if (!m) return base;
    let d = cache.get(message.mailbox!);
    if (!d) {
      d = { ...base, routing: { ...base.routing, defaultQueue: m.defaultQueue }, ...(m.senders ? { senders: { ...base.senders, ...m.senders } } : {}) };
      cache.set(message.mailbox!, d);
    }
    return d;
  };
}

/**
 * Files a claimed batch, in order. Most of a backlog is new mail that names nothing (no
 * thread headers, no ID in the subject) and becomes a ticket: such mail is classified with
 * one contact lookup for all of it, and its tickets and acknowledgements are written with
 * one statement each. Everything else goes through the one-message path in its place. So
 * does mail whose sender's organisation (or address) also writes elsewhere in the batch: filing
 * one could change what the other finds (a contact, an organisation, the hourly
 * acknowledgement count), and one at a time keeps that exact.
 */
async function fileMany(
  em: EntityManager,
  messages: InboundForFiling[],
  deps: FilingDeps,
  depsOf: (message: InboundForFiling) => FilingDeps,
  fileOne: (em: EntityManager, message: InboundForFiling, filedBefore: string[], classified?: Classified) => Promise<FilingOutcome>,
): Promise<FilingOutcome[]> {
  const prefixes = [deps.prefixes.ticketPrefix, deps.prefixes.leadPrefix];
  const plain = messages.map((m) => {
    if (m.parsed.automated.kind !== 'human') return null;
    const facts = factsOf(m.parsed);
    const keys = threadLookupKeys(facts, prefixes, deps.secret);
    return { facts, requester: findRequester(facts, deps.routing), namesSomething: keys.messageIds.length > 0 || keys.recordRefs.length > 0 };
  });
  const writers = new Map<string, number>();
  for (const p of plain) {
    if (!p) continue;
    for (const key of new Set([senderKey(p.facts.from.address), senderKey(p.requester.address)])) writers.set(key, (writers.get(key) ?? 0) + 1);
  }
  const batchable = plain.map((p) => (p && !p.namesSomething && writers.get(senderKey(p.requester.address)) === 1 && writers.get(senderKey(p.facts.from.address)) === 1 ? p : null));
  const found = await findContactsWithOrganisation(em, batchable.flatMap((p) => (p ? [p.requester.address] : [])));

  const outcomes: FilingOutcome[] = new Array(messages.length);
  let group: Array<{ index: number } & NewTicketFiling> = [];
  // New tickets are opened together while they come from mailboxes filed alike.
  let groupDeps = deps;
  const flush = async () => {
    if (group.length === 0) return;
    const opened = await openTickets(em, group, groupDeps);
    group.forEach((g, k) => (outcomes[g.index] = opened[k]!));
    group = [];
  };
  let next = 0;
  for (let i = 0; i < messages.length; i++) {
    const p = batchable[i];
    let classified: Classified | undefined;
    if (p) {
      const { contact, organisation } = found[next++]!;
      const body = splitReplyWithLines(p.facts.text || '');
      const own = depsOf(messages[i]!);
      classified = { body, classification: classifyMessage(p.facts, { config: own.routing, ...classifyContext(contact, organisation), split: body.parts }) };
      if (classified.classification.route === 'support') {
        if (own !== groupDeps) {
          await flush();
          groupDeps = own;
        }
        group.push({ index: i, message: messages[i]!, facts: p.facts, classification: classified.classification, bodySplit: body.lines });
        continue;
      }
    }
    await flush();
    outcomes[i] = await fileOne(em, messages[i]!, messages.slice(0, i).map((m) => m.id), classified);
  }
  await flush();
  return outcomes;
}

/** A message's split and classification, worked out once. */
interface Classified {
  body: ReturnType<typeof splitReplyWithLines>;
  classification: Classification;
}

/** Whose writing a message is: the organisation's domain, or the address itself at a free-mail provider. */
function senderKey(address: string): string {
  const email = normaliseAddress(address);
  return organisationDomainOf(email) ?? email;
}

async function decideThread(em: EntityManager, facts: MessageFacts, deps: FilingDeps) {
  const prefixes = [deps.prefixes.ticketPrefix, deps.prefixes.leadPrefix];
  const keys = threadLookupKeys(facts, prefixes, deps.secret);
  return resolveThread(facts, {
    secret: deps.secret,
    prefixes,
    messageIds: await lookupMessageIds(em, keys.messageIds),
    records: await lookupRecords(em, keys.recordRefs),
  });
}

/**
 * A reply can overtake its original when several instances file at once. If a message this
 * one answers is stored but not yet filed, file this one after it, so it joins the thread.
 */
async function waitForEarlierMessagesOfThread(em: EntityManager, message: InboundForFiling, facts: MessageFacts, filedBefore: string[]): Promise<void> {
  const ids = [...messageIdsIn(facts.inReplyTo), ...facts.references.flatMap((r) => messageIdsIn(r))];
  if (ids.length === 0) return;
  // Messages of this batch filed before this one are still 'stored' until the batch commits.
  const pending = await earlierMessageOfThreadPending(em, message.id, ids.map(normaliseMessageId), filedBefore);
  if (pending) throw new FileLaterError('an earlier message of this thread is still being filed');
}

/** `split`: splitReply(facts.text), when the caller has it already. */
export async function classify(em: EntityManager, facts: MessageFacts, deps: FilingDeps, split?: SplitReply): Promise<Classification> {
  // The requester may be a contact-form person rather than From; look them up, then decide.
  const requester = findRequester(facts, deps.routing);
  const { contact, organisation } = await findContactWithOrganisation(em, requester.address);
  return classifyMessage(facts, { config: deps.routing, ...classifyContext(contact, organisation), split });
}

function classifyContext(contact: ContactRow | null, organisation: OrganisationRow | null): Omit<ClassifyContext, 'config'> {
  return {
    knownContact: contact ? { id: contact.id, organisationId: contact.organisation_id ?? undefined, roles: contact.roles } : undefined,
    organisation: organisation ? { id: organisation.id, kind: organisation.kind } : undefined,
  };
}

/** An inbound message's text stays in inbound_message; its timeline entry keeps how it splits. */
function splitBody(facts: MessageFacts) {
  return { bodySplit: splitReplyLines(facts.text || '') };
}

/**
 * Adds a reply to the ticket or lead it belongs to. Returns null when `ref` names something
 * that takes no replies (an operations notice): the caller files the mail as new, linked to it.
 */
async function appendToRecord(em: EntityManager, message: InboundForFiling, facts: MessageFacts, ref: string): Promise<FilingOutcome | null> {
  const ticket = await findTicket(em, ref);
  const lead = ticket ? null : await findLead(em, ref);
  if (!ticket && !lead) return null;
  const sender = await ensureContact(em, { address: facts.from.address, name: facts.from.name });
  if (ticket) {
    await addParticipant(em, ticket.id, sender.id);
    // A customer writing on a closed case wants it looked at again.
    await reopenTicketOnReply(em, ticket.id);
  }
  await recordOnTimeline(em, { recordRef: ref, direction: 'in', inboundMessageId: message.id, messageId: facts.messageId, fromAddress: normaliseAddress(facts.from.address), subject: facts.subject, ...splitBody(facts), contactId: sender.id, leadId: lead?.id });
  return { outcome: ticket ? 'ticket-reply' : 'lead-reply', recordRef: ref };
}

export interface NewTicketFiling {
  message: InboundForFiling;
  facts: MessageFacts;
  classification: Classification;
  linkedRef?: string;
  /** splitReplyLines(facts.text), when the caller has it already. */
  bodySplit?: BodySplit;
}

/** A new ticket for a classified message (also used when staff resolve a triage item). */
export async function openTicket(
  em: EntityManager,
  message: InboundForFiling,
  facts: MessageFacts,
  c: Classification,
  deps: FilingDeps,
  linkedRef?: string,
): Promise<FilingOutcome & { acknowledged: boolean }> {
  return (await openTickets(em, [{ message, facts, classification: c, linkedRef }], deps))[0]!;
}

/**
 * New tickets for classified messages with distinct requesters: one statement writes the
 * tickets, their requesters and first messages, one more queues their acknowledgements.
 */
async function openTickets(em: EntityManager, filings: NewTicketFiling[], deps: FilingDeps): Promise<Array<FilingOutcome & { acknowledged: boolean }>> {
  if (filings.length === 0) return [];
  const created = await createTickets(
    em,
    prefixOf('ticket', deps.prefixes),
    filings.map(({ message, facts, classification: c, linkedRef, bodySplit }) => ({
      subject: facts.subject,
      requester: { address: c.requester.address, name: c.requester.name },
      language: c.language,
      linkedRef,
      firstMessage: { direction: 'in', inboundMessageId: message.id, messageId: facts.messageId, fromAddress: normaliseAddress(facts.from.address), subject: facts.subject, bodySplit: bodySplit ?? splitBody(facts).bodySplit },
    })),
  );
  const live = filings.flatMap((f, k) => (f.message.archive ? [] : [k]));
  const acks = deps.acknowledgementsEnabled
    ? await acknowledgeAll(
        em,
        live.map((k) => {
          const { facts, classification: c } = filings[k]!;
          return { kind: 'ticket', ref: created[k]!.ref, to: c.requester, contactId: created[k]!.requester.id, language: c.language, subject: facts.subject, inReplyTo: facts.messageId, references: facts.references };
        }),
        deps,
      )
    : [];
  const acknowledged = new Map(live.map((k, j) => [k, acks[j]?.sent ?? false]));
  if (deps.notifyStaff) {
    for (const k of live) {
      const { ref, requester } = created[k]!;
      const org = requester.organisation_id ? await findOrganisation(em, requester.organisation_id) : null;
      await deps.notifyStaff(em, { kind: 'new-ticket', ref, subject: filings[k]!.facts.subject, organisation: org?.name });
    }
  }
  return filings.map((f, k) => ({ outcome: 'ticket', recordRef: created[k]!.ref, language: f.classification.language, acknowledged: acknowledged.get(k) ?? false }));
}

/** A new lead for a classified message (also used when staff resolve a triage item). */
export async function openLead(
  em: EntityManager,
  message: InboundForFiling,
  facts: MessageFacts,
  c: Classification,
  deps: FilingDeps,
  linkedRef?: string,
): Promise<FilingOutcome & { acknowledged: boolean }> {
  const form = c.contactForm;
  const organisation = form?.company ? await ensureProspectOrganisation(em, form.company, c.requester.address) : null;
  const contact = await ensureContact(em, { address: c.requester.address, name: c.requester.name ?? form?.name, organisationId: organisation?.id, phone: form?.phone });
  const dealer = form?.dealerNumber ? await findDealer(em, form.dealerNumber) : null;
  const source = form ? (form.dealerNumber ? 'dealer-page' : 'web-form') : 'email';
  const lead = await createLead(em, {
    prefix: prefixOf('lead', deps.prefixes),
    source,
    subject: facts.subject,
    contactId: contact.id,
    organisationId: contact.organisation_id ?? organisation?.id ?? null,
    dealerId: dealer?.id ?? null,
    language: c.language,
    formData: form ? { ...form, ...(dealer ? {} : form.dealerNumber ? { dealerNumberUnknown: true } : {}) } : undefined,
    linkedRef,
  });
  const ref = lead.ref;
  await recordOnTimeline(em, { recordRef: ref, direction: 'in', inboundMessageId: message.id, messageId: facts.messageId, fromAddress: normaliseAddress(facts.from.address), subject: facts.subject, ...splitBody(facts), contactId: contact.id, leadId: lead.id });
  let acknowledged = false;
  if (!message.archive) {
    if (deps.acknowledgementsEnabled) {
      acknowledged = (await acknowledge(em, { kind: 'lead', ref, to: c.requester, contactId: contact.id, leadId: lead.id, language: c.language, subject: facts.subject, inReplyTo: facts.messageId, references: facts.references }, deps)).sent;
    }
    await deps.notifyStaff?.(em, { kind: 'new-lead', ref, subject: facts.subject, organisation: organisation?.name, dealer: dealer?.name ?? form?.dealerNumber });
  }
  return { outcome: 'lead', recordRef: ref, language: c.language, acknowledged };
}

async function openTriage(em: EntityManager, message: InboundForFiling, facts: MessageFacts, c: Classification, deps: FilingDeps): Promise<FilingOutcome> {
  const reason =
    c.route === 'privacy'
      ? `privacy request (${(c.privacyRights ?? []).join(', ') || 'unspecified'}): handled by staff until the privacy handler exists`
      : c.route === 'newsletter-reply'
        ? `newsletter reply (${(c.privacyRights ?? []).join(', ') || 'reply'}): handled by staff until the newsletter handler exists`
        : c.route === 'spam'
          ? `looks like spam: ${c.reasons.filter((r) => r.startsWith('spam.')).slice(0, 3).join('; ')}`
          : `route uncertain: ${c.reasons.slice(-1).concat(c.reasons.slice(0, 2)).join('; ')}`;
  const triageId = await upsertTriageItem(em, {
    inboundMessageId: message.id,
    suggestedRoute: c.route,
    reason,
    scores: { scores: c.scores, privacyRights: c.privacyRights ?? [], language: c.language },
  });
  if (!message.archive) {
    await deps.notifyStaff?.(em, { kind: 'triage', triageId, suggestedRoute: c.route, subject: facts.subject, reason });
  }
  return { outcome: 'triage', recordRef: triageRef(triageId), language: c.language };
}

