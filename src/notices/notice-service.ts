import type { EntityManager } from '@mikro-orm/postgresql';
import { createTask, type SlackChannels } from '../tasks/task-service.ts';
import { closeTasksOfRecord } from '../tasks/task-endings.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import type { Actor, TaskRecord } from '../tasks/task-types.ts';
import type { NoticeKind } from '../entities/notices.ts';
import type { NoticesConfig } from './notices-config.ts';
import { offsetMinutes } from './notices-config.ts';
import { planMaintenance, type PlannedStep } from './schedule.ts';
import {
  bringCompletionForward,
  cancelHeldStep,
  cancelOpenSteps,
  cancelStepsBeforeCompletion,
  hasResolvedStep,
  insertDraftNotice,
  insertSteps,
  lockNoticeById,
  nextNoticeNumber,
  nextStepSeq,
  noticeByRef,
  noticeList,
  rejectAwaitingNotice,
  releaseHeldStep,
  returnAwaitingNoticeToDraft,
  setNoticeAwaitingApproval,
  setNoticeCancelled,
  setNoticeScheduled,
  setStepApprovalTask,
  stepById,
  stepFromRow,
  stepsWithDeliveryCounts,
  updateStepCount,
  type NoticeRecord,
  type NoticeStepRecord,
} from './notice-store.ts';
import { reachedContactCount, withdrawQueuedMail } from './delivery-store.ts';

/** Slack action kind of notice approvals (register with registerNoticeAction). */
export const NOTICE_ACTION = 'notice';

/** An expected refusal (unknown notice, wrong state, bad input): one line for the CLI, no stack. */
export class NoticeError extends Error {
  override name = 'NoticeError';
}

export interface NoticeServiceDeps {
  notices: NoticesConfig;
  channels: SlackChannels;
  postToSlack: boolean;
}

export { noticeFromRow, stepFromRow, type NoticeRecord, type NoticeStepRecord } from './notice-store.ts';

/** 'DRIFT-000007', 'drift-7' or '7': how people type notice IDs. */
export function normaliseNoticeRef(ref: string, prefix: string): string {
  const s = ref.trim();
  const m = new RegExp(`^(?:${prefix}-?)?(\\d+)$`, 'i').exec(s);
  return m ? `${prefix}-${m[1]!.padStart(6, '0')}` : s.toUpperCase();
}

export async function findNotice(em: EntityManager, ref: string, deps: Pick<NoticeServiceDeps, 'notices'>, opts: { forUpdate?: boolean } = {}): Promise<NoticeRecord | null> {
  return noticeByRef(em, normaliseNoticeRef(ref, deps.notices.refPrefix), opts);
}

async function lockNotice(em: EntityManager, ref: string, deps: Pick<NoticeServiceDeps, 'notices'>): Promise<NoticeRecord> {
  const n = await findNotice(em, ref, deps, { forUpdate: true });
  if (!n) throw new NoticeError(`no notice ${ref}`);
  return n;
}

export async function nextNoticeRef(em: EntityManager, prefix: string): Promise<string> {
  return `${prefix}-${(await nextNoticeNumber(em)).padStart(6, '0')}`;
}

export interface CreateNoticeInput {
  kind: NoticeKind;
  title: string;
  body?: string;
  services: string[];
  allCustomers?: boolean;
  severity?: string;
  windowStart?: Date;
  windowEnd?: Date;
  createdBy?: string;
}

/** A draft notice; nothing is sent until it is scheduled (and, per kind, approved). */
export async function createNotice(em: EntityManager, input: CreateNoticeInput, deps: Pick<NoticeServiceDeps, 'notices'>): Promise<NoticeRecord> {
  const title = input.title.trim();
  if (!title) throw new NoticeError('a notice needs a title');
  const known = new Set(deps.notices.services.map((s) => s.key));
  const services = [...new Set(input.services.map((s) => s.trim().toLowerCase()).filter(Boolean))];
  const unknown = services.filter((s) => !known.has(s));
  if (unknown.length) throw new NoticeError(`unknown service ${unknown.join(', ')}; the catalogue (notices.services) has: ${[...known].join(', ') || '(nothing configured)'}`);
  if (services.length === 0 && !input.allCustomers) throw new NoticeError('name the affected services (--services), so only their customers hear about it');
  if (input.kind === 'maintenance') {
    if (!input.windowStart || !input.windowEnd) throw new NoticeError('planned maintenance needs --start and --end');
    if (input.windowEnd.getTime() <= input.windowStart.getTime()) throw new NoticeError('the window must end after it starts');
  }
  if (input.kind === 'broadcast') throw new NoticeError('recurring broadcasts are defined in config (notices.broadcasts)');
  const ref = await nextNoticeRef(em, deps.notices.refPrefix);
  return insertDraftNotice(em, {
    ref,
    kind: input.kind,
    title,
    body: input.body ?? '',
    services,
    allCustomers: !!input.allCustomers,
    severity: input.severity ?? null,
    windowStart: input.windowStart ?? null,
    windowEnd: input.windowEnd ?? null,
    createdBy: input.createdBy ?? null,
  });
}

/** Puts a draft (or just approved) notice on its schedule at `now`. */
async function activate(em: EntityManager, notice: NoticeRecord, now: Date, deps: Pick<NoticeServiceDeps, 'notices'>, approver?: Actor): Promise<NoticeRecord> {
  let steps: PlannedStep[];
  if (notice.kind === 'maintenance') {
    steps = planMaintenance({ now, windowStart: notice.windowStart!, windowEnd: notice.windowEnd!, reminderMinutes: deps.notices.reminders.map(offsetMinutes) });
  } else if (notice.kind === 'incident') {
    steps = [{ step: 'incident', label: 'incident', seq: 1, dueAt: now, expiresAt: null }];
  } else {
    steps = [];
  }
  await insertSteps(em, notice.id, steps);
  return setNoticeScheduled(em, notice.id, notice.kind === 'incident' ? 'active' : 'scheduled', now, approver);
}

function needsApproval(kind: NoticeKind, deps: Pick<NoticeServiceDeps, 'notices'>): boolean {
  return deps.notices.approval[kind];
}

async function requestApproval(
  em: EntityManager,
  notice: NoticeRecord,
  what: { stepId?: string; label?: string; text: string },
  deps: NoticeServiceDeps,
): Promise<TaskRecord> {
  return createTask(
    em,
    {
      kind: 'approval',
      recordRef: notice.ref,
      title: what.stepId ? `${notice.ref}: send ${what.label} to customers` : `${notice.ref}: send ${notice.kind} notice "${notice.title}"`,
      summary: what.text.slice(0, 500),
      channelKey: deps.notices.approvalChannel,
      actionKind: NOTICE_ACTION,
      actionPayload: { noticeId: notice.id, ref: notice.ref, ...(what.stepId ? { stepId: what.stepId } : {}) },
      details: { what: what.stepId ? `${notice.kind} ${what.label}` : `${notice.kind} notice`, services: notice.services.join(', ') },
      dedupeKey: what.stepId ? `notice:${notice.id}:step:${what.stepId}:approval` : `notice:${notice.id}:approval`,
    },
    { channels: deps.channels, postToSlack: deps.postToSlack },
  );
}

/**
 * Sends a draft on its way: at once when its kind needs no approval, else as an approval task
 * (action kind 'notice'); on approval the schedule starts from the moment of approval.
 */
export async function scheduleNotice(em: EntityManager, ref: string, input: { actor: Actor; now: Date }, deps: NoticeServiceDeps): Promise<{ notice: NoticeRecord; task?: TaskRecord }> {
  return em.transactional(async (tx) => {
    const notice = await lockNotice(tx, ref, deps);
    if (notice.state !== 'draft') throw new NoticeError(`${notice.ref} is ${notice.state}, not a draft`);
    if (notice.kind === 'maintenance' && notice.windowEnd!.getTime() <= input.now.getTime()) throw new NoticeError(`${notice.ref}: the maintenance window is over already`);
    if (needsApproval(notice.kind, deps)) {
      const task = await requestApproval(tx, notice, { text: `${notice.title}\n${notice.body}` }, deps);
      return { notice: await setNoticeAwaitingApproval(tx, notice.id, task.id, input.actor.name), task };
    }
    return { notice: await activate(tx, notice, input.now, deps, undefined) };
  });
}

const sameActor = (a: Actor, notice: NoticeRecord) => {
  const norm = (s: string | null | undefined) => (s ?? '').trim().replace(/^@/, '').toLowerCase();
  const who = new Set([norm(a.id), norm(a.name)].filter(Boolean));
  return (!!notice.approvedById && who.has(norm(notice.approvedById))) || (!!notice.approvedBy && who.has(norm(notice.approvedBy)));
};

/**
 * A message on a running notice (an incident update, news about maintenance). It goes at the
 * next scheduler run, threaded under the first message; when the kind needs approval, only
 * the person who approved the first message may send more without asking again.
 */
async function addMessage(
  em: EntityManager,
  ref: string,
  input: { step: 'update' | 'resolved'; body: string; actor: Actor; now: Date },
  deps: NoticeServiceDeps,
): Promise<{ notice: NoticeRecord; step: NoticeStepRecord; task?: TaskRecord }> {
  return em.transactional(async (tx) => {
    const notice = await lockNotice(tx, ref, deps);
    if (!['scheduled', 'active'].includes(notice.state)) throw new NoticeError(`${notice.ref} is ${notice.state}; nothing more can be sent on it`);
    const body = input.body.trim();
    if (!body && input.step === 'update') throw new NoticeError('an update needs a text (--message)');
    const seq = await nextStepSeq(tx, notice.id);
    const label = input.step === 'resolved' ? 'resolved' : `update-${(await updateStepCount(tx, notice.id)) + 1}`;
    if (input.step === 'resolved' && (await hasResolvedStep(tx, notice.id))) {
      throw new NoticeError(`${notice.ref} is being resolved already`);
    }
    const held = needsApproval(notice.kind, deps) && !sameActor(input.actor, notice);
    const [stepId] = await insertSteps(tx, notice.id, [
      { step: input.step, label, seq, dueAt: input.now, expiresAt: null, body, state: held ? 'held' : 'pending', requestedBy: input.actor.name, requestedById: input.actor.id },
    ]);
    let task: TaskRecord | undefined;
    if (held) {
      task = await requestApproval(tx, notice, { stepId, label, text: body }, deps);
      await setStepApprovalTask(tx, stepId!, task.id);
    }
    return { notice, step: await stepById(tx, stepId!), task };
  });
}

export function updateNotice(em: EntityManager, ref: string, input: { body: string; actor: Actor; now: Date }, deps: NoticeServiceDeps) {
  return addMessage(em, ref, { ...input, step: 'update' }, deps);
}

/**
 * Incidents: the resolution, threaded under the first message; the notice is resolved once it
 * is sent. Maintenance: finished early, the "completed" message goes now and nothing before it.
 */
export async function resolveNotice(em: EntityManager, ref: string, input: { body?: string; actor: Actor; now: Date }, deps: NoticeServiceDeps) {
  const notice = await findNotice(em, ref, deps);
  if (!notice) throw new NoticeError(`no notice ${ref}`);
  if (notice.kind === 'incident') return addMessage(em, ref, { step: 'resolved', body: input.body ?? '', actor: input.actor, now: input.now }, deps);
  if (notice.kind !== 'maintenance') throw new NoticeError(`${notice.ref} is a ${notice.kind}; only incidents and maintenance are resolved`);
  return em.transactional(async (tx) => {
    const n = await lockNotice(tx, ref, deps);
    if (!['scheduled', 'active'].includes(n.state)) throw new NoticeError(`${n.ref} is ${n.state}`);
    await cancelStepsBeforeCompletion(tx, n.id, input.now);
    const step = await bringCompletionForward(tx, n.id, input.now, input.body ?? '');
    if (!step) throw new NoticeError(`${n.ref} has no pending completion message`);
    return { notice: n, step };
  });
}

export { REACHED_DELIVERY } from './delivery-store.ts';

/**
 * Stops a notice: nothing more is sent, including mail already queued but not yet handed to
 * the mail server. Those who were told about it get one cancellation, threaded under what they
 * got (a 'cancellation' step, sent by the notices job like every other step); those who were
 * told nothing hear nothing.
 */
export async function cancelNotice(
  em: EntityManager,
  ref: string,
  input: { actor: Actor; now: Date; message?: string },
  deps: NoticeServiceDeps,
): Promise<{ notice: NoticeRecord; stepsCancelled: number; mailsWithdrawn: number; cancellationTo: number }> {
  return em.transactional(async (tx) => {
    const notice = await lockNotice(tx, ref, deps);
    if (['cancelled', 'completed', 'resolved', 'rejected'].includes(notice.state)) throw new NoticeError(`${notice.ref} is ${notice.state} already`);
    const stepsCancelled = await cancelOpenSteps(tx, notice.id, input.now);
    const mailsWithdrawn = await withdrawQueuedMail(tx, notice.id);
    const cancellationTo = await reachedContactCount(tx, notice.id);
    if (cancellationTo > 0 && notice.kind !== 'broadcast') {
      await insertSteps(tx, notice.id, [
        { step: 'cancellation', label: 'cancellation', seq: await nextStepSeq(tx, notice.id), dueAt: input.now, expiresAt: null, body: input.message?.trim() || null, requestedBy: input.actor.name, requestedById: input.actor.id },
      ]);
    }
    const cancelled = await setNoticeCancelled(tx, notice.id, input.now, input.actor.name);
    // Nothing is left to approve or do on it: its open tasks close with it.
    await closeTasksOfRecord(tx, notice.ref, { reason: `${notice.ref} cancelled by ${input.actor.name}`, actor: input.actor });
    return { notice: cancelled, stepsCancelled, mailsWithdrawn, cancellationTo: notice.kind === 'broadcast' ? 0 : cancellationTo };
  });
}

export async function noticeSteps(em: EntityManager, noticeId: string): Promise<NoticeStepRecord[]> {
  const rows = await stepsWithDeliveryCounts(em, noticeId);
  return rows.map((r) => ({ ...stepFromRow(r), recipients: r.recipients === null ? Number(r.delivered) || null : Number(r.recipients) }));
}

export async function listNotices(em: EntityManager, opts: { state?: string; kind?: string; limit?: number } = {}): Promise<NoticeRecord[]> {
  return noticeList(em, opts);
}

// ---------------------------------------------------------------------------------------
// Approval (Slack / `tasks approve`)
// ---------------------------------------------------------------------------------------

/**
 * What approving a notice task does: the first message of a notice starts its schedule (and
 * the approver becomes the one who may send updates without asking); an update held for
 * approval is released. Rejecting drops the notice or the update. Runs in decideTask's
 * transaction.
 */
export function noticeActionHandlers(deps: NoticeServiceDeps & { now: () => Date }) {
  return {
    onApprove: async (em: EntityManager, task: TaskRecord, actor: Actor) => {
      const p = task.actionPayload as { noticeId?: string; stepId?: string } | null;
      if (!p?.noticeId) throw new Error(`task ${task.publicId} has no notice`);
      const notice = await lockNoticeById(em, p.noticeId);
      if (!notice) throw new Error(`notice ${p.noticeId} is gone`);
      const now = deps.now();
      if (p.stepId) {
        await releaseHeldStep(em, p.stepId, now);
        return;
      }
      if (notice.state !== 'awaiting-approval') return; // cancelled meanwhile: nothing to start
      await activate(em, notice, now, deps, actor);
    },
    onReject: async (em: EntityManager, task: TaskRecord, actor: Actor) => {
      const p = task.actionPayload as { noticeId?: string; stepId?: string } | null;
      if (!p?.noticeId) return;
      if (p.stepId) {
        await cancelHeldStep(em, p.stepId, `rejected by ${actor.name}`);
        return;
      }
      await rejectAwaitingNotice(em, p.noticeId);
    },
    /** Nobody approved in time: a held update is dropped; a notice goes back to draft, to be scheduled again. */
    onExpire: async (em: EntityManager, task: TaskRecord) => {
      const p = task.actionPayload as { noticeId?: string; stepId?: string } | null;
      if (!p?.noticeId) return;
      if (p.stepId) {
        await cancelHeldStep(em, p.stepId, 'approval expired');
        return;
      }
      await returnAwaitingNoticeToDraft(em, p.noticeId);
    },
  };
}

/** Registers the 'notice' approval action (daemon and CLI). */
export function registerNoticeAction(actions: ActionRegistry, deps: NoticeServiceDeps & { now: () => Date }): void {
  const h = noticeActionHandlers(deps);
  actions.register(NOTICE_ACTION, h.onApprove, { onReject: h.onReject, onExpire: h.onExpire });
}
