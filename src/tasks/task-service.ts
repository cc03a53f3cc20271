import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, type Sql } from '../db/sql.ts';
import { enqueue } from '../outbox/enqueue.ts';
import type { Behaviour } from '../config/behaviour-schema.ts';
import { ActionRegistry } from './action-registry.ts';
import { allowListKey, isAllowed, type SlackApprovers } from './approvers.ts';
import { TRIAGE_ROUTES } from './triage-routes.ts';
import {
  type Actor,
  type ChannelKey,
  type TaskAuditRecord,
  type TaskButton,
  type TaskKind,
  type TaskRecord,
  type TaskState,
} from './task-types.ts';

export type SlackChannels = Behaviour['slack']['channels'];

export interface CreateTaskInput {
  kind: TaskKind;
  /** The record the task concerns, e.g. 'SUP-000001'. */
  recordRef?: string | null;
  title: string;
  /** The least personal data staff need to act (privacy cases: not shown at all). */
  summary?: string | null;
  channelKey: ChannelKey;
  /** Approvals: what runs on approval ('data-export', 'erasure', 'broadcast', …; see ActionRegistry). */
  actionKind?: string | null;
  actionPayload?: Record<string, unknown> | null;
  /** Defaults per kind (see defaultButtons). */
  buttons?: TaskButton[];
  /**
   * Kind-specific facts for the message: new-ticket {subject, requesterOrg}, new-lead
   * {company, interest}, triage {subject, fromDomain}, privacy-case {right, dueDate},
   * approval {what}, mailbox-alert {mailbox, problem, since}, deadline-reminder {dueDate}.
   */
  details?: Record<string, unknown>;
  /** Same key, same task: a handler that runs twice creates one task (and posts once). */
  dedupeKey?: string;
}

export interface CreateTaskDeps {
  channels: SlackChannels;
  /** false: no Slack outbox row (Slack off; the task is worked from the CLI). Default true. */
  postToSlack?: boolean;
}

export function defaultButtons(kind: TaskKind, actionKind?: string | null): TaskButton[] {
  if (actionKind || kind === 'approval') return ['approve', 'reject'];
  switch (kind) {
    // Reclassify: a ticket or lead in the wrong queue goes where it belongs (issue 16).
    case 'new-ticket':
      return ['assign', 'reply', 'close', 'reclassify'];
    case 'new-lead':
      return ['assign', 'reply', 'close', 'reclassify'];
    case 'triage':
      return ['reclassify'];
    case 'privacy-case':
      return ['assign', 'close'];
    case 'mailbox-alert':
    case 'deadline-reminder':
      return ['assign', 'close'];
    default:
      return ['assign', 'close'];
  }
}

export interface TaskRow {
  id: string;
  public_id: string;
  dedupe_key: string | null;
  kind: string;
  record_ref: string | null;
  title: string;
  summary: string | null;
  details: Record<string, unknown> | null;
  buttons: TaskButton[] | null;
  channel: string;
  state: TaskState;
  assignee_slack_id: string | null;
  assignee_name: string | null;
  action_kind: string | null;
  action_payload: Record<string, unknown> | null;
  slack_channel_id: string | null;
  slack_ts: string | null;
  version: number;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  decided_by_id: string | null;
}

export function taskFromRow(r: TaskRow): TaskRecord {
  return {
    id: String(r.id),
    publicId: r.public_id,
    dedupeKey: r.dedupe_key,
    kind: r.kind,
    recordRef: r.record_ref,
    title: r.title,
    summary: r.summary,
    details: r.details ?? {},
    buttons: r.buttons ?? [],
    channel: r.channel,
    state: r.state,
    assigneeSlackId: r.assignee_slack_id,
    assigneeName: r.assignee_name,
    actionKind: r.action_kind,
    actionPayload: r.action_payload,
    slackChannelId: r.slack_channel_id,
    slackTs: r.slack_ts,
    version: Number(r.version),
    reason: r.reason,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    decidedAt: r.decided_at ? new Date(r.decided_at) : null,
    decidedBy: r.decided_by,
    decidedById: r.decided_by_id,
  };
}

function auditFromRow(r: Record<string, any>): TaskAuditRecord {
  return {
    id: String(r.id),
    taskId: String(r.task_id),
    at: new Date(r.at),
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    detail: r.detail,
  };
}

/** 'T-000123', '123' (row id) or 't-123': how people type task IDs. */
export function parseTaskRef(ref: string): { publicId?: string; taskId?: string } {
  const s = ref.trim();
  const m = /^t-?(\d+)$/i.exec(s);
  if (m) return { publicId: `T-${m[1]!.padStart(6, '0')}` };
  if (/^\d+$/.test(s)) return { taskId: s };
  return { publicId: s };
}

export async function findTask(em: EntityManager, ref: { taskId?: string; publicId?: string }, opts: { forUpdate?: boolean } = {}): Promise<TaskRecord | null> {
  const sql = sqlOf(em);
  const lock = opts.forUpdate ? ' for update' : '';
  const rows = ref.taskId
    ? await sql<TaskRow>(`select * from task where id = ?${lock}`, [ref.taskId])
    : ref.publicId
      ? await sql<TaskRow>(`select * from task where public_id = ?${lock}`, [ref.publicId])
      : [];
  return rows[0] ? taskFromRow(rows[0]) : null;
}

export async function listTasks(em: EntityManager, opts: { state?: string; kind?: string; recordRef?: string; limit?: number } = {}): Promise<TaskRecord[]> {
  const rows = await sqlOf(em)<TaskRow>(
    `select * from task
      where (?::text is null or state = ?) and (?::text is null or kind = ?) and (?::text is null or record_ref = ?)
      order by id desc limit ?`,
    [opts.state ?? null, opts.state ?? null, opts.kind ?? null, opts.kind ?? null, opts.recordRef ?? null, opts.recordRef ?? null, opts.limit ?? 100],
  );
  return rows.map(taskFromRow);
}

export async function taskAudit(em: EntityManager, taskId: string): Promise<TaskAuditRecord[]> {
  const rows = await sqlOf(em)(`select * from task_audit where task_id = ? order by id`, [taskId]);
  return rows.map(auditFromRow);
}

export async function appendAudit(
  sql: Sql,
  taskId: string,
  actor: Actor,
  action: string,
  detail: Record<string, unknown> | null = null,
): Promise<string> {
  const [row] = await sql<{ id: string }>(
    `insert into task_audit (task_id, actor_kind, actor_id, actor_name, action, detail) values (?, ?, ?, ?, ?, ?) returning id`,
    [taskId, actor.kind, actor.id, actor.name, action, detail ? JSON.stringify(detail) : null],
  );
  return String(row!.id);
}

/**
 * The outbox payload that posts a task. It names the task, not a rendering of it: the Slack
 * deliverer renders the task's latest state when it posts (src/slack/block-kit.ts), so tasks
 * never depend on the transport that shows them.
 */
export function postPayload(task: TaskRecord): Record<string, unknown> {
  return {
    op: 'post',
    kind: task.kind,
    taskId: task.id,
    publicId: task.publicId,
    recordRef: task.recordRef,
    channel: task.channel,
    metadata: { event_type: 'mailroom_task', event_payload: { task_id: task.publicId } },
  };
}

/**
 * Inserts a task and the outbox row that posts it, through `em` (so both commit or roll back
 * with the caller's transaction). With a dedupe key that exists already, returns that task.
 */
export async function createTask(em: EntityManager, input: CreateTaskInput, deps: CreateTaskDeps): Promise<TaskRecord> {
  const sql = sqlOf(em);
  const channel = deps.channels[input.channelKey];
  if (!channel) throw new Error(`no Slack channel configured for '${input.channelKey}'`);
  const buttons = input.buttons ?? defaultButtons(input.kind, input.actionKind);
  const rows = await sql<TaskRow>(
    `insert into task (dedupe_key, kind, record_ref, title, summary, details, buttons, channel, action_kind, action_payload)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (dedupe_key) do nothing
     returning *`,
    [
      input.dedupeKey ?? null,
      input.kind,
      input.recordRef ?? null,
      input.title,
      input.summary ?? null,
      JSON.stringify(input.details ?? {}),
      JSON.stringify(buttons),
      channel,
      input.actionKind ?? null,
      input.actionPayload ? JSON.stringify(input.actionPayload) : null,
    ],
  );
  if (!rows[0]) {
    const existing = await sql<TaskRow>(`select * from task where dedupe_key = ?`, [input.dedupeKey]);
    return taskFromRow(existing[0]!);
  }
  const task = taskFromRow(rows[0]);
  await appendAudit(sql, task.id, { kind: 'system', id: 'mailroom', name: 'Mailroom' }, 'created', {
    kind: task.kind,
    recordRef: task.recordRef,
    actionKind: task.actionKind,
  });
  if (deps.postToSlack !== false) {
    await enqueue(em, 'slack', postPayload(task), { dedupeKey: `task:${task.id}:post` });
  }
  return task;
}

export type Decision = 'approve' | 'reject' | 'assign' | 'done' | 'reclassify';

export interface DecideInput {
  taskId?: string;
  publicId?: string;
  decision: Decision;
  actor: Actor;
  reason?: string;
  /** The version the actor saw (Slack buttons carry it): a changed task is not decided blind. */
  expectedVersion?: number;
  /** reclassify: where the triage item goes. */
  route?: string;
}

export type ReclassifyFn = (em: EntityManager, task: TaskRecord, actor: Actor, route: string) => Promise<void>;

export interface DecideDeps {
  approvers: SlackApprovers;
  actions?: ActionRegistry;
  onReclassify?: ReclassifyFn;
  /** false: no Slack update row. Default true. */
  postToSlack?: boolean;
}

export type DecideFailure = 'not-found' | 'not-allowed' | 'already-decided' | 'stale' | 'invalid';

export type DecideResult =
  | { ok: true; task: TaskRecord; auditId: string }
  | { ok: false; code: DecideFailure; reason: string; task?: TaskRecord };

const STATE_OF: Record<Exclude<Decision, 'assign'>, TaskState> = {
  approve: 'approved',
  reject: 'rejected',
  done: 'done',
  reclassify: 'done',
};

const AUDIT_ACTION: Record<Decision, string> = {
  approve: 'approved',
  reject: 'rejected',
  assign: 'assigned',
  done: 'done',
  reclassify: 'reclassified',
};

export async function enqueueUpdate(em: EntityManager, task: TaskRecord, auditId: string): Promise<void> {
  await enqueue(em, 'slack', { op: 'update', kind: task.kind, taskId: task.id, publicId: task.publicId, channel: task.channel }, { dedupeKey: `task:${task.id}:update:${auditId}` });
}

function alreadyDecided(task: TaskRecord): DecideResult {
  return {
    ok: false,
    code: 'already-decided',
    reason: `already decided by ${task.decidedBy ?? 'someone else'} (${task.state})`,
    task,
  };
}

/**
 * The one way a task is decided, from Slack buttons and from the CLI alike: allow-list check,
 * optimistic lock (`where state = 'open' and version = ?`; 0 rows = someone else acted first),
 * audit row, the approved action (ActionRegistry) and a Slack update, all in one transaction.
 * Runs in `em`'s transaction when there is one (as a savepoint), else in a new one.
 */
export async function decideTask(em: EntityManager, input: DecideInput, deps: DecideDeps): Promise<DecideResult> {
  return em.transactional(async (tx) => {
    const sql = sqlOf(tx);
    const task = await findTask(tx, input);
    if (!task) return { ok: false, code: 'not-found', reason: `no task ${input.publicId ?? input.taskId}` };
    if (!isAllowed(allowListKey(task), input.actor, deps.approvers)) {
      return { ok: false, code: 'not-allowed', reason: `${input.actor.name} is not allowed to act on ${allowListKey(task)} tasks`, task };
    }
    if (task.state !== 'open') return alreadyDecided(task);
    const isApproval = !!task.actionKind || task.kind === 'approval';
    if ((input.decision === 'approve' || input.decision === 'reject') && !isApproval) {
      return { ok: false, code: 'invalid', reason: `${task.publicId} is not an approval`, task };
    }
    if (input.decision === 'approve' && task.actionKind && !deps.actions?.has(task.actionKind)) {
      return { ok: false, code: 'invalid', reason: `nothing is set up to run '${task.actionKind}'; not approved`, task };
    }
    if (input.decision === 'reclassify') {
      if (!input.route || !(TRIAGE_ROUTES as readonly string[]).includes(input.route)) {
        return { ok: false, code: 'invalid', reason: `route must be one of ${TRIAGE_ROUTES.join(', ')}`, task };
      }
      if (!deps.onReclassify) return { ok: false, code: 'invalid', reason: 'reclassifying is not set up', task };
    }

    const version = input.expectedVersion ?? null;
    const rows =
      input.decision === 'assign'
        ? await sql<TaskRow>(
            `update task set assignee_slack_id = ?, assignee_name = ?, version = version + 1, updated_at = now()
              where id = ? and state = 'open' and (?::int is null or version = ?)
              returning *`,
            [input.actor.kind === 'slack' ? input.actor.id : null, input.actor.name, task.id, version, version],
          )
        : await sql<TaskRow>(
            `update task set state = ?, reason = ?, decided_at = now(), decided_by = ?, decided_by_id = ?,
                    version = version + 1, updated_at = now()
              where id = ? and state = 'open' and (?::int is null or version = ?)
              returning *`,
            [STATE_OF[input.decision], input.reason ?? null, input.actor.name, input.actor.id, task.id, version, version],
          );
    if (!rows[0]) {
      const now = (await findTask(tx, { taskId: task.id }))!;
      if (now.state !== 'open') return alreadyDecided(now);
      return { ok: false, code: 'stale', reason: `${now.publicId} changed meanwhile (now version ${now.version}); look again`, task: now };
    }
    const decided = taskFromRow(rows[0]);
    const auditId = await appendAudit(sql, decided.id, input.actor, AUDIT_ACTION[input.decision], {
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.route ? { route: input.route } : {}),
      ...(decided.actionKind ? { actionKind: decided.actionKind } : {}),
      version: decided.version,
    });
    if (input.decision === 'approve' && decided.actionKind) await deps.actions!.runApprove(decided.actionKind, tx, decided, input.actor);
    if (input.decision === 'reject' && decided.actionKind) await deps.actions?.runReject(decided.actionKind, tx, decided, input.actor);
    if (input.decision === 'reclassify') await deps.onReclassify!(tx, decided, input.actor, input.route!);
    if (deps.postToSlack !== false) await enqueueUpdate(tx, decided, auditId);
    return { ok: true, task: decided, auditId };
  });
}

export type ReplyFn = (em: EntityManager, task: TaskRecord, actor: Actor, text: string) => Promise<void>;

export interface ReplyInput {
  taskId?: string;
  publicId?: string;
  actor: Actor;
  text: string;
  /** Makes a repeated submission (same Slack view, same CLI call id) a no-op. */
  replyId?: string;
}

/**
 * A staff reply on a task's record (Slack "Reply" modal): the callback enqueues the threaded
 * email; the reply is audited and the Slack message shows who replied. The task stays open.
 */
export async function replyToTask(
  em: EntityManager,
  input: ReplyInput,
  deps: { approvers: SlackApprovers; onReply: ReplyFn; postToSlack?: boolean },
): Promise<DecideResult> {
  return em.transactional(async (tx) => {
    const sql = sqlOf(tx);
    const task = await findTask(tx, input, { forUpdate: true });
    if (!task) return { ok: false, code: 'not-found', reason: `no task ${input.publicId ?? input.taskId}` };
    if (!isAllowed(allowListKey(task), input.actor, deps.approvers)) {
      return { ok: false, code: 'not-allowed', reason: `${input.actor.name} is not allowed to act on ${allowListKey(task)} tasks`, task };
    }
    if (task.state !== 'open') return alreadyDecided(task);
    const text = input.text.trim();
    if (!text) return { ok: false, code: 'invalid', reason: 'the reply is empty', task };
    if (input.replyId) {
      const seen = await sql(`select id from task_audit where task_id = ? and action = 'replied' and detail->>'replyId' = ?`, [task.id, input.replyId]);
      if (seen[0]) return { ok: true, task, auditId: String(seen[0].id) };
    }
    await deps.onReply(tx, task, input.actor, text);
    const auditId = await appendAudit(sql, task.id, input.actor, 'replied', { chars: text.length, ...(input.replyId ? { replyId: input.replyId } : {}) });
    if (deps.postToSlack !== false) await enqueueUpdate(tx, task, auditId);
    return { ok: true, task, auditId };
  });
}
