/**
 * Privacy cases: from the filed email to the answer.
 *
 *   received ─▶ awaiting_verification (link to the address ON FILE) ─▶ verified ─▶ approval per
 *   right in Slack ─▶ executed ─▶ completed        (or denied with reasons; or needs_information
 *   when the sender is not on file: a neutral reply, nothing personal)
 *
 * Objection, unsubscribe and DO NOT TRACK take effect at once. Every step is audited with the
 * actor. Every email goes to the case's `subject_email` (the normalised address matched in our
 * records), never to Reply-To, a contact-form field or anything else in the request.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { FilingOutcome } from '../ingest/ingest-processor.ts';
import type { InboundForFiling } from '../ingest/inbound-record.ts';
import { readRawBuffer } from '../ingest/inbound-store.ts';
import type { MessageFacts } from '../classify/message-facts.ts';
import type { Classification } from '../classify/classify.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { enqueueEmail, newMessageId } from '../outbox/enqueue.ts';
import { createTask, type SlackChannels } from '../tasks/task-service.ts';
import { closeTasksOfRecord } from '../tasks/task-endings.ts';
import type { Actor, TaskRecord } from '../tasks/task-types.ts';
import type { TemplateRenderer, TemplateLanguage } from '../templates/render-template.ts';
import { formatDay } from '../templates/human-date.ts';
import { categoryName, categoryOf, erasureLetter } from './letter-categories.ts';
import type { Clock } from '../scheduler/clock.ts';
import { formatRef } from '../records/record-ids.ts';
import type { PrivacyConfig } from './config.ts';
import { computeDue, extendDue, osloDate } from './due-date.ts';
import { checkSenderAuthentication, type DmarcResult, type SenderCheckOptions } from './identity.ts';
import { issueToken, consumeToken } from './tokens.ts';
import { subjectKeys } from './subject.ts';
import { recogniseRights, type CaseRight } from './recognise.ts';
import { applyImmediate, suppress, type ImmediateRight, type PrivacyEffects } from './effects.ts';
import { countForPlan, executeErasure, planErasure, planSummary, type ErasurePlan } from './erasure.ts';
import { applyChanges, describeChange, extractRequestedChanges, type RequestedChange } from './rectification.ts';
import type { CoverageEntry } from './coverage.ts';
import { formatMailbox } from '../mail/address.ts';

export interface PrivacyDeps {
  config: PrivacyConfig;
  secret: string;
  /** Base of the verification and download links (PUBLIC_URL). */
  publicUrl: string;
  mailFrom: string;
  fromName: string;
  /** Reply-To of this kind of mail (a formatted mailbox), when the configuration sets one. */
  replyTo?: string;
  orgName: string;
  messageIdDomain: string;
  prefix: string;
  templates: TemplateRenderer;
  channels: SlackChannels;
  postToSlack: boolean;
  clock: Clock;
  senderCheck?: SenderCheckOptions;
  /** What other concerns do on an opt-out, erasure or rectification (the composition root hands them in). */
  effects?: PrivacyEffects[];
  /** Every table that holds personal data and how access and erasure treat it (coverage.ts; the composition root merges the other concerns' entries). */
  coverage: CoverageEntry[];
}

export interface CaseRow {
  id: string;
  ref: string;
  inbound_message_id: string | null;
  received_at: Date;
  due_at: Date;
  due_date: string;
  extended_due_at: Date | null;
  extension_reason: string | null;
  state: string;
  language: string;
  subject_email: string;
  subject_contact_id: string | null;
  sender_on_file: boolean;
  dmarc: string | null;
  identity: string;
  verified_at: Date | null;
  closed_at: Date | null;
}

export interface RightRow {
  id: string;
  case_id: string;
  right: CaseRight;
  state: string;
  task_id: string | null;
  detail: Record<string, unknown> | null;
  outcome: Record<string, unknown> | null;
  reason: string | null;
}

const NEEDS_APPROVAL: CaseRight[] = ['access', 'erasure', 'rectification', 'completion'];
const IMMEDIATE: ImmediateRight[] = ['objection', 'unsubscribe', 'do-not-track'];
const SYSTEM: AuditActor = { kind: 'system', id: 'mailroom', name: 'Mailroom' };

export type AuditActor = { kind: 'system' | 'slack' | 'cli' | 'subject'; id: string; name: string };

export async function audit(em: EntityManager, caseId: string, actor: AuditActor, action: string, detail: Record<string, unknown> | null = null, rightId: string | null = null): Promise<void> {
  await sqlOf(em)(`insert into privacy_audit (case_id, right_id, actor_kind, actor_id, actor_name, action, detail) values (?, ?, ?, ?, ?, ?, ?)`, [
    caseId, rightId, actor.kind, actor.id, actor.name, action, detail ? JSON.stringify(detail) : null,
  ]);
}

export async function findCase(em: EntityManager, ref: { id?: string; ref?: string }): Promise<CaseRow | null> {
  const sql = sqlOf(em);
  const rows = ref.id ? await sql<CaseRow>(`select * from privacy_case where id = ?`, [ref.id]) : await sql<CaseRow>(`select * from privacy_case where upper(ref) = upper(?)`, [ref.ref]);
  return rows[0] ? { ...rows[0], id: String(rows[0].id) } : null;
}

export async function rightsOf(em: EntityManager, caseId: string): Promise<RightRow[]> {
  const rows = await sqlOf(em)<RightRow>(`select * from privacy_right where case_id = ? order by id`, [caseId]);
  return rows.map((r) => ({ ...r, id: String(r.id), case_id: String(r.case_id) }));
}

function lang(c: Pick<CaseRow, 'language'>): TemplateLanguage {
  return c.language === 'en' ? 'en' : c.language === 'nn' ? 'nn' : 'nb';
}

/**
 * What every letter of a case needs besides its own content: the name to greet (on file, else
 * as the request was signed) and the request's place in its thread, so answers sit under it.
 */
async function letterContext(em: EntityManager, c: CaseRow): Promise<{ name: string | null; inReplyTo?: string; references?: string[] }> {
  const [row] = await sqlOf(em)<{ contact_name: string | null; message_id: string | null; from_name: string | null; refs: unknown }>(
    `select ct.name as contact_name, m.message_id, m.parsed->'from'->>'name' as from_name, m.parsed->'references' as refs
       from privacy_case p
       left join contact ct on ct.id = p.subject_contact_id
       left join inbound_message m on m.id = p.inbound_message_id
      where p.id = ?`,
    [c.id],
  );
  const name = (row?.contact_name ?? '').trim() || (row?.from_name ?? '').trim() || null;
  const messageId = row?.message_id?.trim();
  if (!messageId) return { name };
  const earlier = Array.isArray(row!.refs) ? (row!.refs as unknown[]).filter((r): r is string => typeof r === 'string' && r.length > 0) : [];
  return { name, inReplyTo: messageId, references: [...earlier.filter((r) => r !== messageId), messageId] };
}

/** Every outgoing privacy email: to the address on file, and to nobody else. */
async function sendToSubject(em: EntityManager, c: CaseRow, template: string, vars: Record<string, unknown>, deps: PrivacyDeps, dedupe: string): Promise<void> {
  const letter = await letterContext(em, c);
  const rendered = deps.templates.render(template, lang(c), { ref: c.ref, dueDate: formatDay(effectiveDueDate(c), lang(c)), orgName: deps.orgName, name: letter.name, ...vars });
  await enqueueEmail(
    em,
    {
      from: formatMailbox({ name: deps.fromName, address: deps.mailFrom }),
      ...(deps.replyTo ? { replyTo: deps.replyTo } : {}),
      to: [c.subject_email],
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId: newMessageId(deps.messageIdDomain),
      ...(letter.inReplyTo ? { inReplyTo: letter.inReplyTo, references: letter.references } : {}),
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', 'X-Mailroom-Id': c.ref },
    },
    { dedupeKey: `privacy:${c.ref}:${dedupe}` },
  );
  await audit(em, c.id, SYSTEM, 'email-queued', { template });
}

export function effectiveDueDate(c: Pick<CaseRow, 'due_date' | 'extended_due_at'>): string {
  return c.extended_due_at ? osloDate(new Date(c.extended_due_at)) : c.due_date;
}

/**
 * Whether anything holds the address, through the coverage registry (contacts, orders, portal,
 * projects, newsletter, …); mail and privacy records do not count (every sender is in them).
 */
export async function isOnFile(em: EntityManager, email: string, coverage: CoverageEntry[]): Promise<{ onFile: boolean; contactId: string | null }> {
  const sql = sqlOf(em);
  const [c] = await sql<{ id: string }>(`select id from contact where email = ?`, [email]);
  if (c) return { onFile: true, contactId: String(c.id) };
  const { bindNamed } = await import('./subject.ts');
  for (const e of coverage) {
    if (!e.match || !e.personal || ['mail', 'privacy', 'staff', 'crm', 'support'].includes(e.system)) continue;
    const q = bindNamed(`select 1 from ${e.table} where ${e.match} limit 1`, { contacts: [], emails: [email], cases: [] });
    if ((await sql(q.sql, q.params)).length) return { onFile: true, contactId: null };
  }
  return { onFile: false, contactId: null };
}

/** The filer for route 'privacy'. Idempotent on the message. */
export async function handlePrivacyRequest(em: EntityManager, message: InboundForFiling, facts: MessageFacts, c: Classification, deps: PrivacyDeps): Promise<FilingOutcome> {
  const sql = sqlOf(em);
  const [existing] = await sql<{ ref: string }>(`select ref from privacy_case where inbound_message_id = ?`, [message.id]);
  if (existing) return { outcome: 'privacy', recordRef: existing.ref, language: c.language };

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
  const [{ n }] = (await sql<{ n: string }>(`select nextval('privacy_number_seq') as n`)) as [{ n: string }];
  const ref = formatRef(deps.prefix, n);
  const verified = onFile && dmarc === 'pass';
  const [row] = await sql<CaseRow>(
    `insert into privacy_case (ref, inbound_message_id, received_at, due_at, due_date, state, language, subject_email, subject_contact_id, sender_on_file, dmarc, identity, verified_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning *`,
    [
      ref, message.id, receivedAt, due.dueAt, due.dueDate,
      !onFile ? 'needs_information' : verified ? 'verified' : 'awaiting_verification',
      c.language, from || '(none)', contactId, onFile, dmarc, verified ? 'verified' : onFile ? 'pending' : 'unknown', verified ? deps.clock.now() : null,
    ],
  );
  const kase: CaseRow = { ...row!, id: String(row!.id) };
  for (const r of rights) await sql(`insert into privacy_right (case_id, "right") values (?, ?) on conflict do nothing`, [kase.id, r]);
  const replyToElsewhere = facts.replyTo.some((a) => normaliseAddress(a.address) !== from);
  await audit(em, kase.id, SYSTEM, 'received', {
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
    await sql(`update privacy_right set state = 'completed', outcome = ?, updated_at = now() where id = ?`, [JSON.stringify(result), r.id]);
    await audit(em, kase.id, SYSTEM, 'applied', { right: r.right, effects: result.effects }, r.id);
    immediate.push(r.right);
  }

  const needApproval = rights.filter((r) => NEEDS_APPROVAL.includes(r));
  const rightNames = rights.map((r) => rightLabel(r, lang(kase)));
  if (!onFile) {
    // Nothing about anyone: a neutral answer to the sender, and staff are told.
    await sendToSubject(em, kase, 'privacy-need-info', { rights: rightNames, immediate: immediate.length > 0 }, deps, 'need-info');
  } else if (verified || needApproval.length === 0) {
    await sendToSubject(em, kase, 'privacy-receipt', { rights: rightNames, immediate: immediate.map((r) => rightLabel(r as CaseRight, lang(kase))), verifyUrl: null }, deps, 'receipt');
    if (verified) await audit(em, kase.id, SYSTEM, 'identity-verified', { by: 'dmarc=pass and sender on file' });
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
    await audit(em, kase.id, SYSTEM, 'verification-sent', { ttlHours: deps.config.tokens.verifyTtlHours });
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

function rightLabel(r: CaseRight, l: TemplateLanguage): string {
  const nb: Record<CaseRight, string> = {
    access: 'innsyn',
    rectification: 'retting',
    completion: 'supplering',
    erasure: 'sletting',
    objection: 'reservasjon mot markedsføring',
    unsubscribe: 'avmelding',
    'do-not-track': 'DO NOT TRACK',
    unspecified: 'uspesifisert henvendelse',
  };
  const nn: Record<CaseRight, string> = {
    access: 'innsyn',
    rectification: 'retting',
    completion: 'supplering',
    erasure: 'sletting',
    objection: 'reservasjon mot marknadsføring',
    unsubscribe: 'avmelding',
    'do-not-track': 'DO NOT TRACK',
    unspecified: 'uspesifisert førespurnad',
  };
  const en: Record<CaseRight, string> = {
    access: 'access',
    rectification: 'rectification',
    completion: 'completion',
    erasure: 'erasure',
    objection: 'objection to marketing',
    unsubscribe: 'unsubscribe',
    'do-not-track': 'DO NOT TRACK',
    unspecified: 'unspecified request',
  };
  return (l === 'en' ? en : l === 'nn' ? nn : nb)[r];
}

/** The subject clicked the verification link (consumed by the caller). */
export async function markVerified(em: EntityManager, caseId: string, deps: PrivacyDeps, actor: AuditActor = { kind: 'subject', id: 'link', name: 'the person (verification link)' }): Promise<CaseRow | null> {
  const sql = sqlOf(em);
  const rows = await sql<CaseRow>(
    `update privacy_case set identity = 'verified', verified_at = ?, state = 'verified', updated_at = now() where id = ? and identity <> 'verified' returning *`,
    [deps.clock.now(), caseId],
  );
  if (!rows[0]) return null;
  const kase = { ...rows[0], id: String(rows[0].id) };
  await audit(em, kase.id, actor, 'identity-verified', { by: 'one-time link to the address on file' });
  await proposeApprovals(em, kase, deps);
  return kase;
}

/** One approval task per right that discloses or changes data; nothing runs before approval. */
export async function proposeApprovals(em: EntityManager, kase: CaseRow, deps: PrivacyDeps): Promise<void> {
  const sql = sqlOf(em);
  const rights = await rightsOf(em, kase.id);
  const keys = await subjectKeys(em, kase.subject_email);
  for (const r of rights) {
    if (!NEEDS_APPROVAL.includes(r.right) || r.state !== 'received') continue;
    let task: TaskRecord;
    if (r.right === 'access') {
      task = await createTask(
        em,
        {
          kind: 'privacy-case',
          recordRef: kase.ref,
          title: `Send the access package for ${kase.ref}`,
          channelKey: 'privacy',
          actionKind: 'data-export',
          actionPayload: { caseId: kase.id, rightId: r.id },
          details: { right: 'access', dueDate: effectiveDueDate(kase) },
          dedupeKey: `privacy:${kase.ref}:access`,
        },
        { channels: deps.channels, postToSlack: deps.postToSlack },
      );
    } else if (r.right === 'erasure') {
      const counts = await countForPlan(em, keys, { now: deps.clock.now(), orderYears: deps.config.retention.orderYears, fyEndMonth: deps.config.retention.financialYearEndMonth }, deps.coverage);
      const plan = planErasure(deps.coverage, counts, deps.config.erasure.crm);
      await sql(`update privacy_right set detail = ? where id = ?`, [JSON.stringify({ plan }), r.id]);
      task = await createTask(
        em,
        {
          kind: 'approval',
          recordRef: kase.ref,
          title: `Erasure for ${kase.ref}`,
          summary: planSummary(plan) || 'Nothing found to erase.',
          channelKey: 'privacy',
          actionKind: 'erasure',
          actionPayload: { caseId: kase.id, rightId: r.id },
          details: { what: `Erasure plan for ${kase.ref} (due ${effectiveDueDate(kase)})`, dueDate: effectiveDueDate(kase) },
          dedupeKey: `privacy:${kase.ref}:erasure`,
        },
        { channels: deps.channels, postToSlack: deps.postToSlack },
      );
    } else {
      const inbound = kase.inbound_message_id ? (await sql<{ parsed: { text?: string } | null }>(`select parsed from inbound_message where id = ?`, [kase.inbound_message_id]))[0] : undefined;
      const changes = extractRequestedChanges(inbound?.parsed?.text ?? '');
      await sql(`update privacy_right set detail = ? where id = ?`, [JSON.stringify({ changes }), r.id]);
      const described = changes.length ? changes.map(describeChange).join('; ') : 'no change could be read from the request: read it and apply by hand';
      task = await createTask(
        em,
        {
          kind: 'approval',
          recordRef: kase.ref,
          title: `${r.right === 'completion' ? 'Completion' : 'Rectification'} for ${kase.ref}`,
          summary: `Requested change: ${described}. Applied to CRM contact, portal user and project participant on approval; recipients are told (art. 19).`,
          channelKey: 'privacy',
          actionKind: 'rectification',
          actionPayload: { caseId: kase.id, rightId: r.id },
          details: { what: `Requested change: ${described}`, dueDate: effectiveDueDate(kase) },
          dedupeKey: `privacy:${kase.ref}:${r.right}`,
        },
        { channels: deps.channels, postToSlack: deps.postToSlack },
      );
    }
    await sql(`update privacy_right set state = 'pending_approval', task_id = ?, updated_at = now() where id = ?`, [task.id, r.id]);
    await sql(`update privacy_case set state = 'in_progress', updated_at = now() where id = ? and state in ('verified', 'received')`, [kase.id]);
    await audit(em, kase.id, SYSTEM, 'approval-requested', { right: r.right, task: task.publicId }, r.id);
  }
}

async function closeIfDone(em: EntityManager, caseId: string, deps: PrivacyDeps): Promise<void> {
  const rights = await rightsOf(em, caseId);
  if (!rights.every((r) => ['completed', 'executed', 'denied', 'cancelled'].includes(r.state))) return;
  const state = rights.every((r) => r.state === 'denied') ? 'denied' : 'completed';
  const rows = await sqlOf(em)<{ id: string; ref: string }>(`update privacy_case set state = ?, closed_at = ?, updated_at = now() where id = ? and closed_at is null returning id, ref`, [state, deps.clock.now(), caseId]);
  if (!rows[0]) return;
  await audit(em, caseId, SYSTEM, 'closed', { state });
  // The case is done: its notice to staff and any reminders close with it.
  await closeTasksOfRecord(em, rows[0].ref, { reason: `${rows[0].ref} ${state}` });
}

function actorOf(a: Actor): AuditActor {
  return { kind: a.kind, id: a.id, name: a.name };
}

async function caseForTask(em: EntityManager, task: TaskRecord): Promise<{ kase: CaseRow; right: RightRow }> {
  const p = task.actionPayload as { caseId?: string; rightId?: string } | null;
  const kase = p?.caseId ? await findCase(em, { id: String(p.caseId) }) : null;
  if (!kase) throw new Error(`task ${task.publicId}: no privacy case`);
  if (kase.identity !== 'verified') throw new Error(`${kase.ref}: the person is not verified; nothing personal may leave`);
  const right = (await rightsOf(em, kase.id)).find((r) => r.id === String(p!.rightId));
  if (!right) throw new Error(`task ${task.publicId}: no right`);
  return { kase, right };
}

/** Approval handlers, registered on the ActionRegistry as 'data-export', 'erasure', 'rectification'. */
export function privacyActions(deps: PrivacyDeps) {
  return {
    /** Access: a one-time, expiring download link to the address on file. */
    async dataExport(em: EntityManager, task: TaskRecord, actor: Actor): Promise<void> {
      const { kase, right } = await caseForTask(em, task);
      await audit(em, kase.id, actorOf(actor), 'approved', { right: 'access', task: task.publicId }, right.id);
      const token = await issueToken(em, { caseId: kase.id, rightId: right.id, purpose: 'package', ttlHours: deps.config.tokens.packageTtlHours, now: deps.clock.now() });
      await sqlOf(em)(`update privacy_right set state = 'executed', updated_at = now() where id = ?`, [right.id]);
      await sendToSubject(em, kase, 'privacy-access', { packageUrl: `${deps.publicUrl}/privacy/package?t=${token}`, packageHours: deps.config.tokens.packageTtlHours }, deps, `access:${right.id}`);
      await audit(em, kase.id, SYSTEM, 'package-link-sent', { ttlHours: deps.config.tokens.packageTtlHours }, right.id);
      await closeIfDone(em, kase.id, deps);
    },

    async erasure(em: EntityManager, task: TaskRecord, actor: Actor): Promise<void> {
      const { kase, right } = await caseForTask(em, task);
      await audit(em, kase.id, actorOf(actor), 'approved', { right: 'erasure', task: task.publicId }, right.id);
      const keys = await subjectKeys(em, kase.subject_email);
      const now = deps.clock.now();
      const opts = { now, orderYears: deps.config.retention.orderYears, fyEndMonth: deps.config.retention.financialYearEndMonth };
      // The plan as it stands now (data may have changed since it was proposed).
      const plan = planErasure(deps.coverage, await countForPlan(em, keys, opts, deps.coverage), deps.config.erasure.crm);
      const report = await executeErasure(em, keys, { ...opts, policy: deps.config.erasure.crm }, deps.coverage);
      const effects: { name: string; changed: number }[] = [];
      for (const e of deps.effects ?? []) {
        if (e.erase) effects.push({ name: e.name, ...(await e.erase(em, { email: kase.subject_email, caseRef: kase.ref, now })) });
      }
      await suppress(em, kase.subject_email, 'erasure', deps.secret, kase.id);
      await sqlOf(em)(`update privacy_right set state = 'completed', outcome = ?, updated_at = now() where id = ?`, [JSON.stringify({ plan, rows: report.statements.reduce((n, s) => n + s.rows, 0), effects }), right.id]);
      await audit(em, kase.id, SYSTEM, 'erased', { statements: report.statements.filter((s) => s.rows > 0), effects }, right.id);
      await sendToSubject(em, kase, 'privacy-erasure-done', erasureVars(plan, lang(kase)), deps, `erasure:${right.id}`);
      await closeIfDone(em, kase.id, deps);
    },

    async rectification(em: EntityManager, task: TaskRecord, actor: Actor): Promise<void> {
      const { kase, right } = await caseForTask(em, task);
      await audit(em, kase.id, actorOf(actor), 'approved', { right: right.right, task: task.publicId }, right.id);
      const changes = ((right.detail as { changes?: RequestedChange[] } | null)?.changes ?? []) as RequestedChange[];
      const keys = await subjectKeys(em, kase.subject_email);
      const applied = await applyChanges(em, keys, changes);
      const told: string[] = [];
      for (const e of deps.effects ?? []) {
        for (const c of changes) if (e.rectify) (await e.rectify(em, { email: kase.subject_email, caseRef: kase.ref, now: deps.clock.now(), field: c.field, value: c.value }), told.push(e.name));
      }
      await sqlOf(em)(`update privacy_right set state = 'completed', outcome = ?, updated_at = now() where id = ?`, [JSON.stringify({ applied, told }), right.id]);
      await audit(em, kase.id, SYSTEM, 'rectified', { fields: applied.map((a) => ({ field: a.field, systems: a.systems })) }, right.id);
      const l = lang(kase);
      await sendToSubject(
        em,
        kase,
        'privacy-rectification-done',
        {
          changes: applied.map((a) => ({
            field: fieldLabel(a.field, l),
            value: changes.find((c) => c.field === a.field)?.value,
            systems: [...new Set(a.systems.map((s) => categoryName(categoryOf(s.table, ''), l)))].join(', ') || null,
            // The one manual case (a new address, changed by staff once its owner confirms it), in the letter's language.
            manual: a.manual ? { nb: 'en ny adresse endres av en saksbehandler når eieren av adressen har bekreftet den', nn: 'ei ny adresse blir endra av ein saksbehandlar når eigaren av adressa har stadfesta ho', en: a.manual }[l] : undefined,
          })),
          nothing: applied.length === 0,
          recipients: deps.config.informationSheet.recipients.map((r) => (l === 'en' ? r.en : r.nb)),
        },
        deps,
        `rectification:${right.id}`,
      );
      await closeIfDone(em, kase.id, deps);
    },

    /** A rejection needs reasons (Slack's reject modal asks); the person is told, with the right to complain. */
    async reject(em: EntityManager, task: TaskRecord, actor: Actor): Promise<void> {
      const p = task.actionPayload as { caseId?: string; rightId?: string } | null;
      const kase = p?.caseId ? await findCase(em, { id: String(p.caseId) }) : null;
      if (!kase) return;
      const reason = task.reason?.trim() || { en: 'No reason was given.', nb: 'Ingen begrunnelse ble gitt.', nn: 'Det vart ikkje gjeve nokon grunngjeving.' }[lang(kase)];
      await sqlOf(em)(`update privacy_right set state = 'denied', reason = ?, updated_at = now() where id = ?`, [reason, p!.rightId]);
      await audit(em, kase.id, actorOf(actor), 'denied', { task: task.publicId }, String(p!.rightId));
      if (kase.identity === 'verified') {
        await sendToSubject(em, kase, 'privacy-refusal', { reason, authority: deps.config.informationSheet.supervisoryAuthority }, deps, `refusal:${p!.rightId}`);
      }
      await closeIfDone(em, kase.id, deps);
    },
  };
}

function fieldLabel(f: string, l: TemplateLanguage): string {
  const nb: Record<string, string> = { phone: 'telefon/mobil', email: 'e-post', name: 'navn', title: 'stilling' };
  const nn: Record<string, string> = { phone: 'telefon/mobil', email: 'e-post', name: 'namn', title: 'stilling' };
  const en: Record<string, string> = { phone: 'phone/mobile', email: 'email', name: 'name', title: 'title' };
  return (l === 'en' ? en : l === 'nn' ? nn : nb)[f] ?? f;
}

/** The erasure confirmation's lists, by the privacy statement's categories in the letter's language (letter-categories.ts). */
export function erasureVars(plan: ErasurePlan, l: TemplateLanguage) {
  return erasureLetter(plan, l);
}

/** Art. 12(3): up to two more months, with reasons sent to the person before the first month ends. */
export async function extendCase(em: EntityManager, ref: string, months: number, reason: string, actor: AuditActor, deps: PrivacyDeps): Promise<{ ok: true; dueDate: string } | { ok: false; reason: string }> {
  const kase = await findCase(em, { ref });
  if (!kase) return { ok: false, reason: `no privacy case ${ref}` };
  if (!reason.trim()) return { ok: false, reason: 'an extension needs reasons (they are sent to the person)' };
  if (kase.extended_due_at) return { ok: false, reason: `${kase.ref} was already extended` };
  if (kase.identity !== 'verified' && !kase.sender_on_file) return { ok: false, reason: 'the sender is not on file' };
  const r = extendDue(new Date(kase.received_at), deps.clock.now(), months);
  if (!r.ok) return r;
  await sqlOf(em)(`update privacy_case set extended_due_at = ?, extension_reason = ?, updated_at = now() where id = ?`, [r.dueAt, reason, kase.id]);
  await audit(em, kase.id, actor, 'extended', { months, dueDate: r.dueDate });
  await sendToSubject(em, { ...kase, extended_due_at: r.dueAt }, 'privacy-extension', { reason, newDueDate: formatDay(r.dueDate, lang(kase)), authority: deps.config.informationSheet.supervisoryAuthority }, deps, 'extension');
  return { ok: true, dueDate: r.dueDate };
}

/** The verification link was used (POST): consume the token and mark the case verified. */
export async function verifyWithToken(em: EntityManager, token: string, deps: PrivacyDeps): Promise<{ ok: boolean; ref?: string; reason?: string }> {
  const r = await consumeToken(em, token, 'verify', deps.clock.now());
  if (!r.ok) return { ok: false, reason: r.reason };
  const kase = await findCase(em, { id: r.caseId });
  await markVerified(em, r.caseId, deps);
  return { ok: true, ref: kase?.ref };
}

export { consumeToken };
