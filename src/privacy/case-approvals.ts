/**
 * A privacy case after intake: the person verified (link or DMARC), one approval task per right
 * that discloses or changes data, what each approval does (access link, erasure,
 * rectification, refusal with reasons), extensions (art. 12(3)) and closing the case.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { createTask } from '../tasks/task-service.ts';
import { closeTasksOfRecord } from '../tasks/task-endings.ts';
import type { Actor, TaskRecord } from '../tasks/task-types.ts';
import { formatDay } from '../templates/human-date.ts';
import { categoryName, categoryOf } from './letter-categories.ts';
import { extendDue } from './due-date.ts';
import { issueToken, consumeToken } from './tokens.ts';
import { subjectKeys } from './subject.ts';
import type { CaseRight } from './recognise.ts';
import { suppress } from './effects.ts';
import { countForPlan, executeErasure, planErasure, planSummary } from './erasure.ts';
import { applyChanges, describeChange, extractRequestedChanges, type RequestedChange } from './rectification.ts';
import {
  audit,
  awaitApproval,
  closeCase,
  completeRight,
  denyRight,
  findCase,
  markCaseVerified,
  requestParsed,
  rightsOf,
  setCaseExtension,
  setRightDetail,
  setRightState,
  SYSTEM_ACTOR,
  type AuditActor,
  type CaseRow,
  type RightRow,
} from './case-store.ts';
import { effectiveDueDate, erasureVars, fieldLabel, lang, sendToSubject } from './case-letters.ts';
import type { PrivacyDeps } from './privacy-deps.ts';

/** Rights that disclose or change data: nothing happens before a person approves. */
export const NEEDS_APPROVAL: CaseRight[] = ['access', 'erasure', 'rectification', 'completion'];

/** The subject clicked the verification link (consumed by the caller). */
export async function markVerified(em: EntityManager, caseId: string, deps: PrivacyDeps, actor: AuditActor = { kind: 'subject', id: 'link', name: 'the person (verification link)' }): Promise<CaseRow | null> {
  const kase = await markCaseVerified(em, caseId, deps.clock.now());
  if (!kase) return null;
  await audit(em, kase.id, actor, 'identity-verified', { by: 'one-time link to the address on file' });
  await proposeApprovals(em, kase, deps);
  return kase;
}

/** One approval task per right that discloses or changes data; nothing runs before approval. */
export async function proposeApprovals(em: EntityManager, kase: CaseRow, deps: PrivacyDeps): Promise<void> {
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
      await setRightDetail(em, r.id, { plan });
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
      const inbound = kase.inbound_message_id ? await requestParsed(em, kase.inbound_message_id) : undefined;
      const changes = extractRequestedChanges(inbound?.parsed?.text ?? '');
      await setRightDetail(em, r.id, { changes });
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
    await awaitApproval(em, kase.id, r.id, task.id);
    await audit(em, kase.id, SYSTEM_ACTOR, 'approval-requested', { right: r.right, task: task.publicId }, r.id);
  }
}

export async function closeIfDone(em: EntityManager, caseId: string, deps: PrivacyDeps): Promise<void> {
  const rights = await rightsOf(em, caseId);
  if (!rights.every((r) => ['completed', 'executed', 'denied', 'cancelled'].includes(r.state))) return;
  const state = rights.every((r) => r.state === 'denied') ? 'denied' : 'completed';
  const closed = await closeCase(em, caseId, state, deps.clock.now());
  if (!closed) return;
  await audit(em, caseId, SYSTEM_ACTOR, 'closed', { state });
  // The case is done: its notice to staff and any reminders close with it.
  await closeTasksOfRecord(em, closed.ref, { reason: `${closed.ref} ${state}` });
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
      await setRightState(em, right.id, 'executed');
      await sendToSubject(em, kase, 'privacy-access', { packageUrl: `${deps.publicUrl}/privacy/package?t=${token}`, packageHours: deps.config.tokens.packageTtlHours }, deps, `access:${right.id}`);
      await audit(em, kase.id, SYSTEM_ACTOR, 'package-link-sent', { ttlHours: deps.config.tokens.packageTtlHours }, right.id);
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
      await completeRight(em, right.id, { plan, rows: report.statements.reduce((n, s) => n + s.rows, 0), effects });
      await audit(em, kase.id, SYSTEM_ACTOR, 'erased', { statements: report.statements.filter((s) => s.rows > 0), effects }, right.id);
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
      await completeRight(em, right.id, { applied, told });
      await audit(em, kase.id, SYSTEM_ACTOR, 'rectified', { fields: applied.map((a) => ({ field: a.field, systems: a.systems })) }, right.id);
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
      await denyRight(em, p!.rightId, reason);
      await audit(em, kase.id, actorOf(actor), 'denied', { task: task.publicId }, String(p!.rightId));
      if (kase.identity === 'verified') {
        await sendToSubject(em, kase, 'privacy-refusal', { reason, authority: deps.config.informationSheet.supervisoryAuthority }, deps, `refusal:${p!.rightId}`);
      }
      await closeIfDone(em, kase.id, deps);
    },
  };
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
  await setCaseExtension(em, kase.id, r.dueAt, reason);
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
