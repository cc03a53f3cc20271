import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueue } from '../outbox/enqueue-store.ts';
import type { Behaviour } from '../config/behaviour-schema.ts';
import { ActionRegistry } from './action-registry.ts';
import { allowListKey, isAllowed, type SlackApprovers } from './approvers.ts';
import { TRIAGE_ROUTES } from './triage-routes.ts';
import {
  appendAudit,
  assignOpenTask,
  auditOfTask,
  decideOpenTask,
  findTaskByDedupeKey,
  findTaskById,
  findTaskByPublicId,
  insertTask,
  replyAuditId,
  selectTasks,
} from './task-store.ts';
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

/** 'T-000123', '123' (row id) or 't-123': how people type task IDs. */
export function parseTaskRef(ref: string): { publicId?: string; taskId?: string } {
  const s = ref.trim();
  const m = /^t-?(\d+)$/i.exec(s);
  if (m) return { publicId: `T-${m[1]!.padStart(6, '0')}` };
  if (/^\d+$/.test(s)) return { taskId: s };
  return { publicId: s };
}

export async function findTask(em: EntityManager, ref: { taskId?: string; publicId?: string }, opts: { forUpdate?: boolean } = {}): Promise<TaskRecord | null> {
  if (ref.taskId) return findTaskById(em, ref.taskId, opts.forUpdate);
  if (ref.publicId) return findTaskByPublicId(em, ref.publicId, opts.forUpdate);
  return null;
}

export async function listTasks(em: EntityManager, opts: { state?: string; kind?: string; recordRef?: string; limit?: number } = {}): Promise<TaskRecord[]> {
  return selectTasks(em, { ...opts, limit: opts.limit ?? 100 });
}

export async function taskAudit(em: EntityManager, taskId: string): Promise<TaskAuditRecord[]> {
  return auditOfTask(em, taskId);
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
  const channel = deps.channels[input.channelKey];
  if (!channel) throw new Error(`no Slack channel configured for '${input.channelKey}'`);
  const buttons = input.buttons ?? defaultButtons(input.kind, input.actionKind);
  const task = await insertTask(em, {
    dedupeKey: input.dedupeKey ?? null,
    kind: input.kind,
    recordRef: input.recordRef ?? null,
    title: input.title,
    summary: input.summary ?? null,
    details: input.details ?? {},
    buttons,
    channel,
    actionKind: input.actionKind ?? null,
    actionPayload: input.actionPayload ?? null,
  });
  if (!task) return (await findTaskByDedupeKey(em, input.dedupeKey))!;
  await appendAudit(em, task.id, { kind: 'system', id: 'mailroom', name: 'Mailroom' }, 'created', {
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
    const decided =
      input.decision === 'assign'
        ? await assignOpenTask(tx, task.id, input.actor, version)
        : await decideOpenTask(tx, task.id, { state: STATE_OF[input.decision], reason: input.reason ?? null, actor: input.actor, expectedVersion: version });
    if (!decided) {
      const now = (await findTask(tx, { taskId: task.id }))!;
      if (now.state !== 'open') return alreadyDecided(now);
      return { ok: false, code: 'stale', reason: `${now.publicId} changed meanwhile (now version ${now.version}); look again`, task: now };
    }
    const auditId = await appendAudit(tx, decided.id, input.actor, AUDIT_ACTION[input.decision], {
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
    const task = await findTask(tx, input, { forUpdate: true });
    if (!task) return { ok: false, code: 'not-found', reason: `no task ${input.publicId ?? input.taskId}` };
    if (!isAllowed(allowListKey(task), input.actor, deps.approvers)) {
      return { ok: false, code: 'not-allowed', reason: `${input.actor.name} is not allowed to act on ${allowListKey(task)} tasks`, task };
    }
    if (task.state !== 'open') return alreadyDecided(task);
    const text = input.text.trim();
    if (!text) return { ok: false, code: 'invalid', reason: 'the reply is empty', task };
    if (input.replyId) {
      const seen = await replyAuditId(tx, task.id, input.replyId);
      if (seen) return { ok: true, task, auditId: seen };
    }
    await deps.onReply(tx, task, input.actor, text);
    const auditId = await appendAudit(tx, task.id, input.actor, 'replied', { chars: text.length, ...(input.replyId ? { replyId: input.replyId } : {}) });
    if (deps.postToSlack !== false) await enqueueUpdate(tx, task, auditId);
    return { ok: true, task, auditId };
  });
}
