import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, type Sql } from '../db/sql.ts';
import { createTask, type SlackChannels } from '../tasks/task-service.ts';
import { closeTasksOfRecord } from '../tasks/task-endings.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import type { Actor, TaskRecord } from '../tasks/task-types.ts';
import type { NoticeKind, NoticeState, NoticeStepKind, NoticeStepState } from '../entities/notices.ts';
import type { NoticesConfig } from './notices-config.ts';
import { offsetMinutes } from './notices-config.ts';
import { planMaintenance, type PlannedStep } from './schedule.ts';

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

export interface NoticeRecord {
  id: string;
  ref: string;
  kind: NoticeKind;
  state: NoticeState;
  title: string;
  body: string;
  services: string[];
  allCustomers: boolean;
  severity: string | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  broadcastKey: string | null;
  periodStart: Date | null;
  template: string | null;
  approvedBy: string | null;
  approvedById: string | null;
  approvedAt: Date | null;
  createdBy: string | null;
  scheduledAt: Date | null;
  cancelledAt: Date | null;
  cancelledBy: string | null;
  createdAt: Date;
}

export interface NoticeStepRecord {
  id: string;
  noticeId: string;
  seq: number;
  step: NoticeStepKind;
  label: string;
  offsetMinutes: number | null;
  body: string | null;
  dueAt: Date;
  expiresAt: Date | null;
  state: NoticeStepState;
  reason: string | null;
  requestedBy: string | null;
  recipients: number | null;
  doneAt: Date | null;
}

const d = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));

export function noticeFromRow(r: Record<string, any>): NoticeRecord {
  return {
    id: String(r.id),
    ref: r.ref,
    kind: r.kind,
    state: r.state,
    title: r.title,
    body: r.body,
    services: r.services ?? [],
    allCustomers: !!r.all_customers,
    severity: r.severity,
    windowStart: d(r.window_start),
    windowEnd: d(r.window_end),
    broadcastKey: r.broadcast_key,
    periodStart: d(r.period_start),
    template: r.template,
    approvedBy: r.approved_by,
    approvedById: r.approved_by_id,
    approvedAt: d(r.approved_at),
    createdBy: r.created_by,
    scheduledAt: d(r.scheduled_at),
    cancelledAt: d(r.cancelled_at),
    cancelledBy: r.cancelled_by,
    createdAt: new Date(r.created_at),
  };
}

export function stepFromRow(r: Record<string, any>): NoticeStepRecord {
  return {
    id: String(r.id),
    noticeId: String(r.notice_id),
    seq: Number(r.seq),
    step: r.step,
    label: r.label,
    offsetMinutes: r.offset_minutes === null ? null : Number(r.offset_minutes),
    body: r.body,
    dueAt: new Date(r.due_at),
    expiresAt: d(r.expires_at),
    state: r.state,
    reason: r.reason,
    requestedBy: r.requested_by,
    recipients: r.recipients === null ? null : Number(r.recipients),
    doneAt: d(r.done_at),
  };
}

/** 'DRIFT-000007', 'drift-7' or '7': how people type notice IDs. */
export function normaliseNoticeRef(ref: string, prefix: string): string {
  const s = ref.trim();
  const m = new RegExp(`^(?:${prefix}-?)?(\\d+)$`, 'i').exec(s);
  return m ? `${prefix}-${m[1]!.padStart(6, '0')}` : s.toUpperCase();
}

export async function findNotice(em: EntityManager, ref: string, deps: Pick<NoticeServiceDeps, 'notices'>, opts: { forUpdate?: boolean } = {}): Promise<NoticeRecord | null> {
  const rows = await sqlOf(em)(`select * from notice where ref = ?${opts.forUpdate ? ' for update' : ''}`, [normaliseNoticeRef(ref, deps.notices.refPrefix)]);
  return rows[0] ? noticeFromRow(rows[0]) : null;
}

async function lockNotice(em: EntityManager, ref: string, deps: Pick<NoticeServiceDeps, 'notices'>): Promise<NoticeRecord> {
  const n = await findNotice(em, ref, deps, { forUpdate: true });
  if (!n) throw new NoticeError(`no notice ${ref}`);
  return n;
}

export async function nextNoticeRef(em: EntityManager, prefix: string): Promise<string> {
  const [row] = await sqlOf(em)<{ n: string }>(`select nextval('notice_number_seq') as n`);
  return `${prefix}-${String(row!.n).padStart(6, '0')}`;
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
  const [row] = await sqlOf(em)(
    `insert into notice (ref, kind, title, body, services, all_customers, severity, window_start, window_end, created_by)
     values (?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?) returning *`,
    [ref, input.kind, title, input.body ?? '', `{${services.map((s) => `"${s}"`).join(',')}}`, !!input.allCustomers, input.severity ?? null, input.windowStart ?? null, input.windowEnd ?? null, input.createdBy ?? null],
  );
  return noticeFromRow(row!);
}

async function insertSteps(sql: Sql, noticeId: string, steps: (PlannedStep & { body?: string | null; state?: NoticeStepState; requestedBy?: string | null; requestedById?: string | null })[]): Promise<string[]> {
  const ids: string[] = [];
  for (const s of steps) {
    const [row] = await sql<{ id: string }>(
      `insert into notice_step (notice_id, seq, step, label, offset_minutes, body, due_at, expires_at, state, requested_by, requested_by_id)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
      [noticeId, s.seq, s.step, s.label, s.offsetMinutes ?? null, s.body ?? null, s.dueAt, s.expiresAt, s.state ?? 'pending', s.requestedBy ?? null, s.requestedById ?? null],
    );
    ids.push(String(row!.id));
  }
  return ids;
}

/** Puts a draft (or just approved) notice on its schedule at `now`. */
async function activate(em: EntityManager, notice: NoticeRecord, now: Date, deps: Pick<NoticeServiceDeps, 'notices'>, approver?: Actor): Promise<NoticeRecord> {
  const sql = sqlOf(em);
  let steps: PlannedStep[];
  if (notice.kind === 'maintenance') {
    steps = planMaintenance({ now, windowStart: notice.windowStart!, windowEnd: notice.windowEnd!, reminderMinutes: deps.notices.reminders.map(offsetMinutes) });
  } else if (notice.kind === 'incident') {
    steps = [{ step: 'incident', label: 'incident', seq: 1, dueAt: now, expiresAt: null }];
  } else {
    steps = [];
  }
  await insertSteps(sql, notice.id, steps);
  const [row] = await sql(
    `update notice set state = ?, scheduled_at = ?, approved_by = coalesce(?, approved_by), approved_by_id = coalesce(?, approved_by_id),
            approved_at = case when ?::text is null then approved_at else ? end, updated_at = now()
      where id = ? returning *`,
    [notice.kind === 'incident' ? 'active' : 'scheduled', now, approver?.name ?? null, approver?.id ?? null, approver?.name ?? null, now, notice.id],
  );
  return noticeFromRow(row!);
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
      const [row] = await sqlOf(tx)(`update notice set state = 'awaiting-approval', approval_task_id = ?, created_by = coalesce(created_by, ?), updated_at = now() where id = ? returning *`, [task.id, input.actor.name, notice.id]);
      return { notice: noticeFromRow(row!), task };
    }
    return { notice: await activate(tx, notice, input.now, deps, undefined) };
  });
}

const sameActor = (a: Actor, notice: NoticeRecord) => {
  const norm = (s: string | null | undefined) => (s ?? '').trim().replace(/^@/, '').toLowerCase();
  const who = new Set([norm(a.id), norm(a.name)].filter(Boolean));
  return (!!notice.approvedById && who.has(norm(notice.approvedById))) || (!!notice.approvedBy && who.has(norm(notice.approvedBy)));
};

async function nextSeq(sql: Sql, noticeId: string): Promise<number> {
  const [row] = await sql<{ n: number }>(`select coalesce(max(seq), 0) + 1 as n from notice_step where notice_id = ?`, [noticeId]);
  return Number(row!.n);
}

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
    const sql = sqlOf(tx);
    const notice = await lockNotice(tx, ref, deps);
    if (!['scheduled', 'active'].includes(notice.state)) throw new NoticeError(`${notice.ref} is ${notice.state}; nothing more can be sent on it`);
    const body = input.body.trim();
    if (!body && input.step === 'update') throw new NoticeError('an update needs a text (--message)');
    const seq = await nextSeq(sql, notice.id);
    const label = input.step === 'resolved' ? 'resolved' : `update-${(await sql(`select 1 from notice_step where notice_id = ? and step = 'update'`, [notice.id])).length + 1}`;
    if (input.step === 'resolved' && (await sql(`select 1 from notice_step where notice_id = ? and label = 'resolved'`, [notice.id])).length) {
      throw new NoticeError(`${notice.ref} is being resolved already`);
    }
    const held = needsApproval(notice.kind, deps) && !sameActor(input.actor, notice);
    const [stepId] = await insertSteps(sql, notice.id, [
      { step: input.step, label, seq, dueAt: input.now, expiresAt: null, body, state: held ? 'held' : 'pending', requestedBy: input.actor.name, requestedById: input.actor.id },
    ]);
    let task: TaskRecord | undefined;
    if (held) {
      task = await requestApproval(tx, notice, { stepId, label, text: body }, deps);
      await sql(`update notice_step set approval_task_id = ? where id = ?`, [task.id, stepId]);
    }
    const [row] = await sql(`select * from notice_step where id = ?`, [stepId]);
    return { notice, step: stepFromRow(row!), task };
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
    const sql = sqlOf(tx);
    const n = await lockNotice(tx, ref, deps);
    if (!['scheduled', 'active'].includes(n.state)) throw new NoticeError(`${n.ref} is ${n.state}`);
    await sql(`update notice_step set state = 'cancelled', reason = 'completed early', done_at = ? where notice_id = ? and state in ('pending', 'held') and step <> 'completed'`, [input.now, n.id]);
    const rows = await sql(
      `update notice_step set due_at = least(due_at, ?), body = coalesce(nullif(?, ''), body) where notice_id = ? and step = 'completed' and state = 'pending' returning *`,
      [input.now, input.body ?? '', n.id],
    );
    if (!rows[0]) throw new NoticeError(`${n.ref} has no pending completion message`);
    return { notice: n, step: stepFromRow(rows[0]) };
  });
}

/**
 * Who was told about a notice: contacts with a mail of it that left (or is leaving) for the
 * mail server. A mail withdrawn before sending, or one that failed for good, told nobody.
 */
export const REACHED_DELIVERY = `(d.outbox_id is null or exists (select 1 from outbox_message o where o.id = d.outbox_id and o.status in ('sending', 'sent')))`;

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
    const sql = sqlOf(tx);
    const notice = await lockNotice(tx, ref, deps);
    if (['cancelled', 'completed', 'resolved', 'rejected'].includes(notice.state)) throw new NoticeError(`${notice.ref} is ${notice.state} already`);
    const steps = await sql(`update notice_step set state = 'cancelled', reason = 'notice cancelled', done_at = ? where notice_id = ? and state in ('pending', 'held') returning id`, [input.now, notice.id]);
    const withdrawn = await sql(
      `update outbox_message set status = 'cancelled', last_error = 'notice cancelled', updated_at = now()
        where status = 'pending' and id in (select outbox_id from notice_delivery where notice_id = ? and outbox_id is not null)
        returning id`,
      [notice.id],
    );
    const [told] = await sql<{ n: string }>(`select count(distinct d.contact_id) as n from notice_delivery d where d.notice_id = ? and ${REACHED_DELIVERY}`, [notice.id]);
    const cancellationTo = Number(told!.n);
    if (cancellationTo > 0 && notice.kind !== 'broadcast') {
      await insertSteps(sql, notice.id, [
        { step: 'cancellation', label: 'cancellation', seq: await nextSeq(sql, notice.id), dueAt: input.now, expiresAt: null, body: input.message?.trim() || null, requestedBy: input.actor.name, requestedById: input.actor.id },
      ]);
    }
    const [row] = await sql(`update notice set state = 'cancelled', cancelled_at = ?, cancelled_by = ?, updated_at = now() where id = ? returning *`, [input.now, input.actor.name, notice.id]);
    // Nothing is left to approve or do on it: its open tasks close with it.
    await closeTasksOfRecord(tx, notice.ref, { reason: `${notice.ref} cancelled by ${input.actor.name}`, actor: input.actor });
    return { notice: noticeFromRow(row!), stepsCancelled: steps.length, mailsWithdrawn: withdrawn.length, cancellationTo: notice.kind === 'broadcast' ? 0 : cancellationTo };
  });
}

export async function noticeSteps(em: EntityManager, noticeId: string): Promise<NoticeStepRecord[]> {
  const rows = await sqlOf(em)(
    `select s.*, (select count(*) from notice_delivery d where d.step_id = s.id) as delivered from notice_step s where s.notice_id = ? order by s.seq`,
    [noticeId],
  );
  return rows.map((r) => ({ ...stepFromRow(r), recipients: r.recipients === null ? Number(r.delivered) || null : Number(r.recipients) }));
}

export async function listNotices(em: EntityManager, opts: { state?: string; kind?: string; limit?: number } = {}): Promise<NoticeRecord[]> {
  const rows = await sqlOf(em)(
    `select * from notice where (?::text is null or state = ?) and (?::text is null or kind = ?) order by id desc limit ?`,
    [opts.state ?? null, opts.state ?? null, opts.kind ?? null, opts.kind ?? null, opts.limit ?? 100],
  );
  return rows.map(noticeFromRow);
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
      const sql = sqlOf(em);
      const [row] = await sql(`select * from notice where id = ? for update`, [p.noticeId]);
      if (!row) throw new Error(`notice ${p.noticeId} is gone`);
      const notice = noticeFromRow(row);
      const now = deps.now();
      if (p.stepId) {
        await sql(`update notice_step set state = 'pending', due_at = greatest(due_at, ?) where id = ? and state = 'held'`, [now, p.stepId]);
        return;
      }
      if (notice.state !== 'awaiting-approval') return; // cancelled meanwhile: nothing to start
      await activate(em, notice, now, deps, actor);
    },
    onReject: async (em: EntityManager, task: TaskRecord, actor: Actor) => {
      const p = task.actionPayload as { noticeId?: string; stepId?: string } | null;
      if (!p?.noticeId) return;
      const sql = sqlOf(em);
      if (p.stepId) {
        await sql(`update notice_step set state = 'cancelled', reason = ? where id = ? and state = 'held'`, [`rejected by ${actor.name}`, p.stepId]);
        return;
      }
      await sql(`update notice set state = 'rejected', updated_at = now() where id = ? and state = 'awaiting-approval'`, [p.noticeId]);
    },
    /** Nobody approved in time: a held update is dropped; a notice goes back to draft, to be scheduled again. */
    onExpire: async (em: EntityManager, task: TaskRecord) => {
      const p = task.actionPayload as { noticeId?: string; stepId?: string } | null;
      if (!p?.noticeId) return;
      const sql = sqlOf(em);
      if (p.stepId) {
        await sql(`update notice_step set state = 'cancelled', reason = 'approval expired' where id = ? and state = 'held'`, [p.stepId]);
        return;
      }
      await sql(`update notice set state = 'draft', approval_task_id = null, updated_at = now() where id = ? and state = 'awaiting-approval'`, [p.noticeId]);
    },
  };
}

/** Registers the 'notice' approval action (daemon and CLI). */
export function registerNoticeAction(actions: ActionRegistry, deps: NoticeServiceDeps & { now: () => Date }): void {
  const h = noticeActionHandlers(deps);
  actions.register(NOTICE_ACTION, h.onApprove, { onReject: h.onReject, onExpire: h.onExpire });
}
