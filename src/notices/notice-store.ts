/**
 * Named queries over operations notices and their steps (`notice`, `notice_step`,
 * `notice_broadcast`), for notice-service.ts and notice-job.ts, and the organisations the CLI
 * names (`organisationByKey`). Rows come back as NoticeRecord / NoticeStepRecord. Raw SQL: most
 * writes are conditional state moves (`… where state = 'held'`, `returning *`) and the job
 * claims notices with `for update skip locked`.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { NoticeKind, NoticeState, NoticeStepKind, NoticeStepState } from '../entities/notices.ts';

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

/**
 * An organisation by domain, exact name (case-insensitive) or id; when several match, the
 * lowest id.
 */
export async function organisationByKey(em: EntityManager, key: string): Promise<{ id: string; name: string } | undefined> {
  const [org] = await sqlOf(em)<{ id: string; name: string }>(
    `select id, name from organisation where domain = lower(?) or lower(name) = lower(?) or id::text = ? order by id limit 1`,
    [key, key, key],
  );
  return org;
}

/** A text[] literal of keys (service names). */
const textArray = (values: string[]) => `{${values.map((s) => `"${s}"`).join(',')}}`;

export async function noticeByRef(em: EntityManager, ref: string, opts: { forUpdate?: boolean } = {}): Promise<NoticeRecord | null> {
  const rows = await sqlOf(em)(`select * from notice where ref = ?${opts.forUpdate ? ' for update' : ''}`, [ref]);
  return rows[0] ? noticeFromRow(rows[0]) : null;
}

/** The notice, locked for the rest of the transaction. */
export async function lockNoticeById(em: EntityManager, id: string): Promise<NoticeRecord | null> {
  const [row] = await sqlOf(em)(`select * from notice where id = ? for update`, [id]);
  return row ? noticeFromRow(row) : null;
}

/** The next number of the notice ref sequence. */
export async function nextNoticeNumber(em: EntityManager): Promise<string> {
  const [row] = await sqlOf(em)<{ n: string }>(`select nextval('notice_number_seq') as n`);
  return String(row!.n);
}

export async function insertDraftNotice(
  em: EntityManager,
  n: { ref: string; kind: NoticeKind; title: string; body: string; services: string[]; allCustomers: boolean; severity: string | null; windowStart: Date | null; windowEnd: Date | null; createdBy: string | null },
): Promise<NoticeRecord> {
  const [row] = await sqlOf(em)(
    `insert into notice (ref, kind, title, body, services, all_customers, severity, window_start, window_end, created_by)
     values (?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?) returning *`,
    [n.ref, n.kind, n.title, n.body, textArray(n.services), n.allCustomers, n.severity, n.windowStart, n.windowEnd, n.createdBy],
  );
  return noticeFromRow(row!);
}

export interface NewStep {
  seq: number;
  step: NoticeStepKind;
  label: string;
  offsetMinutes?: number | null;
  body?: string | null;
  dueAt: Date;
  expiresAt: Date | null;
  state?: NoticeStepState;
  requestedBy?: string | null;
  requestedById?: string | null;
}

/** Inserts the steps in order; their ids. */
export async function insertSteps(em: EntityManager, noticeId: string, steps: NewStep[]): Promise<string[]> {
  const sql = sqlOf(em);
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

/** The notice is on its schedule from `now` (with its approver, when approved). */
export async function setNoticeScheduled(
  em: EntityManager,
  noticeId: string,
  state: 'active' | 'scheduled',
  now: Date,
  approver?: { id: string; name: string },
): Promise<NoticeRecord> {
  const [row] = await sqlOf(em)(
    `update notice set state = ?, scheduled_at = ?, approved_by = coalesce(?, approved_by), approved_by_id = coalesce(?, approved_by_id),
            approved_at = case when ?::text is null then approved_at else ? end, updated_at = now()
      where id = ? returning *`,
    [state, now, approver?.name ?? null, approver?.id ?? null, approver?.name ?? null, now, noticeId],
  );
  return noticeFromRow(row!);
}

export async function setNoticeAwaitingApproval(em: EntityManager, noticeId: string, taskId: string, createdBy: string): Promise<NoticeRecord> {
  const [row] = await sqlOf(em)(`update notice set state = 'awaiting-approval', approval_task_id = ?, created_by = coalesce(created_by, ?), updated_at = now() where id = ? returning *`, [
    taskId,
    createdBy,
    noticeId,
  ]);
  return noticeFromRow(row!);
}

export async function nextStepSeq(em: EntityManager, noticeId: string): Promise<number> {
  const [row] = await sqlOf(em)<{ n: number }>(`select coalesce(max(seq), 0) + 1 as n from notice_step where notice_id = ?`, [noticeId]);
  return Number(row!.n);
}

/** How many updates the notice has (any state). */
export async function updateStepCount(em: EntityManager, noticeId: string): Promise<number> {
  return (await sqlOf(em)(`select 1 from notice_step where notice_id = ? and step = 'update'`, [noticeId])).length;
}

export async function hasResolvedStep(em: EntityManager, noticeId: string): Promise<boolean> {
  return (await sqlOf(em)(`select 1 from notice_step where notice_id = ? and label = 'resolved'`, [noticeId])).length > 0;
}

export async function setStepApprovalTask(em: EntityManager, stepId: string, taskId: string): Promise<void> {
  await sqlOf(em)(`update notice_step set approval_task_id = ? where id = ?`, [taskId, stepId]);
}

export async function stepById(em: EntityManager, stepId: string): Promise<NoticeStepRecord> {
  const [row] = await sqlOf(em)(`select * from notice_step where id = ?`, [stepId]);
  return stepFromRow(row!);
}

/** Maintenance finished early: every open step but the completion is cancelled. */
export async function cancelStepsBeforeCompletion(em: EntityManager, noticeId: string, now: Date): Promise<void> {
  await sqlOf(em)(`update notice_step set state = 'cancelled', reason = 'completed early', done_at = ? where notice_id = ? and state in ('pending', 'held') and step <> 'completed'`, [now, noticeId]);
}

/** The pending completion step, due now at the latest (with `body` when one is given); null when there is none. */
export async function bringCompletionForward(em: EntityManager, noticeId: string, now: Date, body: string): Promise<NoticeStepRecord | null> {
  const rows = await sqlOf(em)(
    `update notice_step set due_at = least(due_at, ?), body = coalesce(nullif(?, ''), body) where notice_id = ? and step = 'completed' and state = 'pending' returning *`,
    [now, body, noticeId],
  );
  return rows[0] ? stepFromRow(rows[0]) : null;
}

/** Cancels every open (pending or held) step of a cancelled notice; how many. */
export async function cancelOpenSteps(em: EntityManager, noticeId: string, now: Date): Promise<number> {
  const rows = await sqlOf(em)(`update notice_step set state = 'cancelled', reason = 'notice cancelled', done_at = ? where notice_id = ? and state in ('pending', 'held') returning id`, [now, noticeId]);
  return rows.length;
}

export async function setNoticeCancelled(em: EntityManager, noticeId: string, now: Date, by: string): Promise<NoticeRecord> {
  const [row] = await sqlOf(em)(`update notice set state = 'cancelled', cancelled_at = ?, cancelled_by = ?, updated_at = now() where id = ? returning *`, [now, by, noticeId]);
  return noticeFromRow(row!);
}

/** A notice's steps in order, each with `delivered`: how many deliveries it has recorded. */
export async function stepsWithDeliveryCounts(em: EntityManager, noticeId: string): Promise<(Record<string, any> & { delivered: string | number })[]> {
  return sqlOf(em)(
    `select s.*, (select count(*) from notice_delivery d where d.step_id = s.id) as delivered from notice_step s where s.notice_id = ? order by s.seq`,
    [noticeId],
  );
}

export async function noticeList(em: EntityManager, opts: { state?: string; kind?: string; limit?: number } = {}): Promise<NoticeRecord[]> {
  const rows = await sqlOf(em)(
    `select * from notice where (?::text is null or state = ?) and (?::text is null or kind = ?) order by id desc limit ?`,
    [opts.state ?? null, opts.state ?? null, opts.kind ?? null, opts.kind ?? null, opts.limit ?? 100],
  );
  return rows.map(noticeFromRow);
}

/** An update held for approval goes (at once, or when it was due). */
export async function releaseHeldStep(em: EntityManager, stepId: string, now: Date): Promise<void> {
  await sqlOf(em)(`update notice_step set state = 'pending', due_at = greatest(due_at, ?) where id = ? and state = 'held'`, [now, stepId]);
}

export async function cancelHeldStep(em: EntityManager, stepId: string, reason: string): Promise<void> {
  await sqlOf(em)(`update notice_step set state = 'cancelled', reason = ? where id = ? and state = 'held'`, [reason, stepId]);
}

export async function rejectAwaitingNotice(em: EntityManager, noticeId: string): Promise<void> {
  await sqlOf(em)(`update notice set state = 'rejected', updated_at = now() where id = ? and state = 'awaiting-approval'`, [noticeId]);
}

/** Nobody approved in time: the notice is a draft again. */
export async function returnAwaitingNoticeToDraft(em: EntityManager, noticeId: string): Promise<void> {
  await sqlOf(em)(`update notice set state = 'draft', approval_task_id = null, updated_at = now() where id = ? and state = 'awaiting-approval'`, [noticeId]);
}

// ---------------------------------------------------------------------------------------
// The notices job
// ---------------------------------------------------------------------------------------

/**
 * The next notice with a step due at `now` (a cancelled one only for its cancellation), locked
 * with SKIP LOCKED so daemons running the job at once each take another.
 */
export async function claimDueNotice(em: EntityManager, now: Date): Promise<NoticeRecord | null> {
  const [row] = await sqlOf(em)(
    `select n.* from notice n
      where (n.state in ('scheduled', 'active')
             and exists (select 1 from notice_step s where s.notice_id = n.id and s.state = 'pending' and s.due_at <= ?))
         -- a cancelled notice has one thing left to say: that it is cancelled
         or (n.state = 'cancelled'
             and exists (select 1 from notice_step s where s.notice_id = n.id and s.step = 'cancellation' and s.state = 'pending' and s.due_at <= ?))
      order by n.id
      limit 1
      for update of n skip locked`,
    [now, now],
  );
  return row ? noticeFromRow(row) : null;
}

/** The notice's pending steps due at `now`, in order (of a cancelled notice, only its cancellation). */
export async function dueSteps(em: EntityManager, notice: Pick<NoticeRecord, 'id' | 'state'>, now: Date): Promise<NoticeStepRecord[]> {
  const rows = await sqlOf(em)(`select * from notice_step where notice_id = ? and state = 'pending' and due_at <= ? and (? <> 'cancelled' or step = 'cancellation') order by due_at, seq`, [
    notice.id,
    now,
    notice.state,
  ]);
  return rows.map(stepFromRow);
}

export async function skipStep(em: EntityManager, stepId: string, reason: string, now: Date): Promise<void> {
  await sqlOf(em)(`update notice_step set state = 'skipped', reason = ?, done_at = ? where id = ? and state = 'pending'`, [reason, now, stepId]);
}

export async function markStepSent(em: EntityManager, stepId: string, now: Date, recipients: number): Promise<void> {
  await sqlOf(em)(`update notice_step set state = 'sent', done_at = ?, recipients = ? where id = ? and state = 'pending'`, [now, recipients, stepId]);
}

export async function setNoticeState(em: EntityManager, noticeId: string, state: NoticeState): Promise<void> {
  await sqlOf(em)(`update notice set state = ?, updated_at = now() where id = ?`, [state, noticeId]);
}

export interface PeriodNoticeRow {
  ref: string;
  kind: string;
  title: string;
  state: string;
  services: string[];
  window_start: Date | null;
  created_at: Date;
  /** Organisations (ids) that use any of its services. */
  orgs: string[] | null;
}

/** The notices (not broadcasts, not drafts or refused) created in [periodStart, periodEnd), with who they concern. */
export async function noticesOfPeriod(em: EntityManager, periodEnd: Date, periodStart: Date | null): Promise<PeriodNoticeRow[]> {
  return sqlOf(em)<PeriodNoticeRow>(
    `select n.ref, n.kind, n.title, n.state, n.services, n.window_start, n.created_at,
            (select array_agg(distinct os.organisation_id::text) from organisation_service os where os.service = any(n.services)) as orgs
       from notice n
      where n.kind <> 'broadcast' and n.state not in ('draft', 'awaiting-approval', 'rejected')
        and n.created_at < ? and (?::timestamptz is null or n.created_at >= ?)
      order by n.id`,
    [periodEnd, periodStart, periodStart],
  );
}

/** When the broadcast was first seen (recorded now, the first time). */
export async function broadcastFirstSeen(em: EntityManager, key: string, now: Date): Promise<Date> {
  const sql = sqlOf(em);
  await sql(`insert into notice_broadcast (key, first_seen_at) values (?, ?) on conflict (key) do nothing`, [key, now]);
  const [state] = await sql<{ first_seen_at: Date }>(`select first_seen_at from notice_broadcast where key = ?`, [key]);
  return state!.first_seen_at;
}

/**
 * The broadcast's notice for one period with its one step, or null when the period has one
 * already ((broadcast_key, period_start) is unique); the broadcast's last period moves on.
 */
export async function insertBroadcastNotice(
  em: EntityManager,
  b: { ref: string; state: NoticeState; title: string; body: string; services: string[]; key: string; period: Date; template: string; now: Date; expires: Date | null },
): Promise<NoticeRecord | null> {
  const sql = sqlOf(em);
  const [row] = await sql(
    `insert into notice (ref, kind, state, title, body, services, all_customers, broadcast_key, period_start, template, created_by, scheduled_at)
     values (?, 'broadcast', ?, ?, ?, ?::text[], ?, ?, ?, ?, 'config', ?)
     on conflict (broadcast_key, period_start) do nothing returning *`,
    [b.ref, b.state, b.title, b.body, textArray(b.services), b.services.length === 0, b.key, b.period, b.template, b.now],
  );
  if (!row) return null;
  const notice = noticeFromRow(row);
  await sql(`insert into notice_step (notice_id, seq, step, label, due_at, expires_at, state) values (?, 1, 'broadcast', 'broadcast', ?, ?, 'pending')`, [notice.id, b.period, b.expires]);
  await sql(`update notice_broadcast set last_period_start = greatest(last_period_start, ?) where key = ?`, [b.period, b.key]);
  return notice;
}

export async function setNoticeApprovalTask(em: EntityManager, noticeId: string, taskId: string): Promise<void> {
  await sqlOf(em)(`update notice set approval_task_id = ? where id = ?`, [taskId, noticeId]);
}
