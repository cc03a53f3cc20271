/**
 * A privacy request filed from an email: the case, its rights, the immediate opt-outs, the first
 * letter (receipt, verification link, or a neutral answer when the sender is not on file) and
 * the staff task. Idempotent on the message.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FilingOutcome } from '../ingest/ingest-processor.ts';
import type { InboundForFiling } from '../ingest/inbound-record.ts';
import { readRawBuffer } from '../ingest/inbound-store.ts';
import type { MessageFacts } from '../classify/message-facts.ts';
import type { Classification } from '../classify/classify.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { createTask } from '../tasks/task-service.ts';
import { formatRef } from '../records/record-ids.ts';
import { computeDue } from './due-date.ts';
import { checkSenderAuthentication, type DmarcResult } from './identity.ts';
import { issueToken } from './tokens.ts';
import { recogniseRights, type CaseRight } from './recognise.ts';
import { applyImmediate, type ImmediateRight } from './effects.ts';
import type { CoverageEntry } from './coverage.ts';
import { entryHasMatch } from './coverage-store.ts';
import { contactsWithEmail } from './subject-store.ts';
import { audit, caseRefOfMessage, completeRight, insertCase, insertRight, nextCaseNumber, rightsOf, SYSTEM_ACTOR, type CaseRow } from './case-store.ts';
import { lang, rightLabel, sendToSubject } from './case-letters.ts';
import { closeIfDone, NEEDS_APPROVAL, proposeApprovals } from './case-approvals.ts';
import type { PrivacyDeps } from './privacy-deps.ts';

const IMMEDIATE: ImmediateRight[] = ['objection', 'unsubscribe', 'do-not-track'];

/**
 * Whether anything holds the address, through the coverage registry (contacts, orders, portal,
 * projects, newsletter, …); mail and privacy records do not count (every sender is in them).
 */
export async function isOnFile(em: EntityManager, email: string, coverage: CoverageEntry[]): Promise<{ onFile: boolean; contactId: string | null }> {
  const [c] = await contactsWithEmail(em, email);
  if (c) return { onFile: true, contactId: String(c.id) };
  for (const e of coverage) {
    if (!e.match || !e.personal || ['mail', 'privacy', 'staff', 'crm', 'support'].includes(e.system)) continue;
    if (await entryHasMatch(em, { ...e, match: e.match }, { contacts: [], emails: [email], cases: [] })) return { onFile: true, contactId: null };
  }
  return { onFile: false, contactId: null };
}

/** The filer for route 'privacy'. Idempotent on the message. */
export async function handlePrivacyRequest(em: EntityManager, message: InboundForFiling, facts: MessageFacts, c: Classification, deps: PrivacyDeps): Promise<FilingOutcome> {
  const existing = await caseRefOfMessage(em, message.id);
  if (existing) return { outcome: 'privacy', recordRef: existing, language: c.language };

  // The address the request came from (From only: never Reply-To, never a form field).
  const from = normaliseAddress(facts.from.address);
  const { onFile, contactId } = from ? await isOnFile(em, from, deps.coverage) : { onFile: false, contactId: null };
  let dmarc: DmarcResult = 'unknown';
  try {
    dmarc = await checkSenderAuthentication(await readRawBuffer(em, message.id), deps.senderCheck);
  } catch {
    dmarc = 'temperror';
  }
  const rights = recogniseRights(`${facts.subject}\n${facts.text}`, c.privacyRights ?? []);
  const receivedAt = new Date(message.receivedAt);
  const due = computeDue(receivedAt);
  const ref = formatRef(deps.prefix, await nextCaseNumber(em));
  const verified = onFile && dmarc === 'pass';
  const kase: CaseRow = await insertCase(em, {
    ref,
    inboundMessageId: message.id,
    receivedAt,
    dueAt: due.dueAt,
    dueDate: due.dueDate,
    state: !onFile ? 'needs_information' : verified ? 'verified' : 'awaiting_verification',
    language: c.language,
    subjectEmail: from || '(none)',
    subjectContactId: contactId,
    senderOnFile: onFile,
    dmarc,
    identity: verified ? 'verified' : onFile ? 'pending' : 'unknown',
    verifiedAt: verified ? deps.clock.now() : null,
  });
  for (const r of rights) await insertRight(em, kase.id, r);
  const replyToElsewhere = facts.replyTo.some((a) => normaliseAddress(a.address) !== from);
  await audit(em, kase.id, SYSTEM_ACTOR, 'received', {
    rights,
    dmarc,
    senderOnFile: onFile,
    dueDate: due.dueDate,
    dueRule: due.rule,
    ...(replyToElsewhere ? { replyToIgnored: true } : {}),
  });

  if (message.archive) return { outcome: 'privacy', recordRef: ref, language: c.language };

  // Objection, unsubscribe, DO NOT TRACK: at once, no approval (they give nothing away).
  const immediate: string[] = [];
  for (const r of await rightsOf(em, kase.id)) {
    if (!(IMMEDIATE as string[]).includes(r.right) || !from) continue;
    const result = await applyImmediate(em, r.right as ImmediateRight, { email: from, caseRef: ref, now: deps.clock.now(), caseId: kase.id, secret: deps.secret }, deps.effects ?? []);
    await completeRight(em, r.id, result);
    await audit(em, kase.id, SYSTEM_ACTOR, 'applied', { right: r.right, effects: result.effects }, r.id);
    immediate.push(r.right);
  }

  const needApproval = rights.filter((r) => NEEDS_APPROVAL.includes(r));
  const rightNames = rights.map((r) => rightLabel(r, lang(kase)));
  if (!onFile) {
    // Nothing about anyone: a neutral answer to the sender, and staff are told.
    await sendToSubject(em, kase, 'privacy-need-info', { rights: rightNames, immediate: immediate.length > 0 }, deps, 'need-info');
  } else if (verified || needApproval.length === 0) {
    await sendToSubject(em, kase, 'privacy-receipt', { rights: rightNames, immediate: immediate.map((r) => rightLabel(r as CaseRight, lang(kase))), verifyUrl: null }, deps, 'receipt');
    if (verified) await audit(em, kase.id, SYSTEM_ACTOR, 'identity-verified', { by: 'dmarc=pass and sender on file' });
  } else {
    const token = await issueToken(em, { caseId: kase.id, purpose: 'verify', ttlHours: deps.config.tokens.verifyTtlHours, now: deps.clock.now() });
    await sendToSubject(
      em,
      kase,
      'privacy-receipt',
      { rights: rightNames, immediate: immediate.map((r) => rightLabel(r as CaseRight, lang(kase))), verifyUrl: `${deps.publicUrl}/privacy/verify?t=${token}`, verifyHours: deps.config.tokens.verifyTtlHours },
      deps,
      'receipt',
    );
    await audit(em, kase.id, SYSTEM_ACTOR, 'verification-sent', { ttlHours: deps.config.tokens.verifyTtlHours });
  }
  // Staff see the case (ref, rights, due date; no name, no address, no subject line).
  await createTask(
    em,
    {
      kind: 'privacy-case',
      recordRef: ref,
      title: `Privacy request ${ref}`,
      channelKey: 'privacy',
      details: { right: rights.join(', '), dueDate: due.dueDate, identity: kase.identity, senderOnFile: onFile },
      dedupeKey: `privacy:${ref}:case`,
    },
    { channels: deps.channels, postToSlack: deps.postToSlack },
  );
  if (verified) await proposeApprovals(em, kase, deps);
  if (rights.every((r) => (IMMEDIATE as string[]).includes(r)) && onFile) await closeIfDone(em, kase.id, deps);
  return { outcome: 'privacy', recordRef: ref, language: c.language };
}
