/**
 * Named queries over tasks and their audit trail: what task-service.ts and task-endings.ts
 * create, find, decide, close and expire, and what the layers around them ask (Slack delivery,
 * mailbox alerts, the CLI), including the task's Slack post in the outbox, whose dedupe key
 * task-service.ts gives it. Rows come back as TaskRecords.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { Actor, TaskAuditRecord, TaskButton, TaskRecord, TaskState } from './task-types.ts';

/** The outbox dedupe key of a task's Slack post (as task-service.ts enqueues it). */
const postKey = (taskId: string) => `task:${taskId}:post`;

/** A record's tasks, oldest first, as a case view lists them. */
export async function tasksOfRecord(
  em: EntityManager,
  recordRef: string,
): Promise<{ id: string; actionKind: string | null; state: string; decidedBy: string | null }[]> {
  return sqlOf(em)(`select public_id as id, action_kind as "actionKind", state, decided_by as "decidedBy" from task where record_ref = ? order by id`, [recordRef]);
}

/** The open mailbox-alert tasks of one mailbox, oldest first. */
export async function openMailboxAlertTasks(em: EntityManager, mailbox: string): Promise<{ id: string; public_id: string }[]> {
  return sqlOf(em)<{ id: string; public_id: string }>(
    `select id, public_id from task where kind = 'mailbox-alert' and state = 'open' and details->>'mailbox' = ? order by id`,
    [mailbox],
  );
}

/**
 * When the soonest Slack post still on its way for an earlier task of the same record is due
 * (undefined when none waits): posts of a record go out in the order their tasks were made.
 */
export async function earlierPostWaiting(em: EntityManager, recordRef: string, taskId: string): Promise<{ next_attempt_at: Date } | undefined> {
  const [earlier] = await sqlOf(em)<{ next_attempt_at: Date }>(
    `select o.next_attempt_at from task t
       join outbox_message o on o.dedupe_key = 'task:' || t.id || ':post'
      where t.record_ref = ? and t.id < ? and t.slack_ts is null and o.status in ('pending', 'sending')
      order by o.next_attempt_at limit 1`,
    [recordRef, taskId],
  );
  return earlier;
}

/** The outbox row of a task's Slack post: its status and when it is next tried (undefined if none). */
export async function slackPostOf(em: EntityManager, taskId: string): Promise<{ status: string; next_attempt_at: Date } | undefined> {
  const [post] = await sqlOf(em)<{ status: string; next_attempt_at: Date }>(`select status, next_attempt_at from outbox_message where dedupe_key = ?`, [postKey(taskId)]);
  return post;
}

/**
 * Records where a task's Slack message is, once: only a task without one gets it, with a
 * 'posted' audit row. Runs in `em`'s transaction; false when the task had a message already.
 */
export async function recordSlackPost(
  em: EntityManager,
  taskId: string,
  post: { channelId: string; ts: string },
  actor: Actor,
  detail: Record<string, unknown>,
): Promise<boolean> {
  const sql = sqlOf(em);
  const rows = await sql(`update task set slack_channel_id = ?, slack_ts = ?, updated_at = now() where id = ? and slack_ts is null returning id`, [post.channelId, post.ts, taskId]);
  if (!rows[0]) return false;
  await appendAudit(em, taskId, actor, 'posted', detail);
  return true;
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

const taskOf = (rows: TaskRow[]): TaskRecord | null => (rows[0] ? taskFromRow(rows[0]) : null);

/** A task by row id; `forUpdate` locks it for the rest of the transaction. */
export async function findTaskById(em: EntityManager, taskId: string, forUpdate = false): Promise<TaskRecord | null> {
  return taskOf(await sqlOf(em)<TaskRow>(`select * from task where id = ?${forUpdate ? ' for update' : ''}`, [taskId]));
}

/** A task by public id ('T-000123'); `forUpdate` locks it for the rest of the transaction. */
export async function findTaskByPublicId(em: EntityManager, publicId: string, forUpdate = false): Promise<TaskRecord | null> {
  return taskOf(await sqlOf(em)<TaskRow>(`select * from task where public_id = ?${forUpdate ? ' for update' : ''}`, [publicId]));
}

/** Tasks, newest first, filtered by state, kind and record when given. */
export async function selectTasks(em: EntityManager, f: { state?: string; kind?: string; recordRef?: string; limit: number }): Promise<TaskRecord[]> {
  const rows = await sqlOf(em)<TaskRow>(
    `select * from task
      where (?::text is null or state = ?) and (?::text is null or kind = ?) and (?::text is null or record_ref = ?)
      order by id desc limit ?`,
    [f.state ?? null, f.state ?? null, f.kind ?? null, f.kind ?? null, f.recordRef ?? null, f.recordRef ?? null, f.limit],
  );
  return rows.map(taskFromRow);
}

/** A task's audit trail, oldest first. */
export async function auditOfTask(em: EntityManager, taskId: string): Promise<TaskAuditRecord[]> {
  const rows = await sqlOf(em)(`select * from task_audit where task_id = ? order by id`, [taskId]);
  return rows.map(auditFromRow);
}

/** Appends one audit row (the table is append-only by trigger); returns its id. */
export async function appendAudit(
  em: EntityManager,
  taskId: string,
  actor: Actor,
  action: string,
  detail: Record<string, unknown> | null = null,
): Promise<string> {
  const [row] = await sqlOf(em)<{ id: string }>(
    `insert into task_audit (task_id, actor_kind, actor_id, actor_name, action, detail) values (?, ?, ?, ?, ?, ?) returning id`,
    [taskId, actor.kind, actor.id, actor.name, action, detail ? JSON.stringify(detail) : null],
  );
  return String(row!.id);
}

/** The id of the 'replied' audit row a reply with this id left on the task, if any. */
export async function replyAuditId(em: EntityManager, taskId: string, replyId: string): Promise<string | undefined> {
  const [seen] = await sqlOf(em)<{ id: string }>(`select id from task_audit where task_id = ? and action = 'replied' and detail->>'replyId' = ?`, [taskId, replyId]);
  return seen ? String(seen.id) : undefined;
}

/** A new task's columns, as createTask works them out (its kind as a plain string: the column's). */
export type NewTaskRow = Pick<TaskRecord, 'dedupeKey' | 'recordRef' | 'title' | 'summary' | 'details' | 'buttons' | 'channel' | 'actionKind' | 'actionPayload'> & { kind: string };

/** Inserts a task; null when one with the same dedupe key exists (see findTaskByDedupeKey). */
export async function insertTask(em: EntityManager, t: NewTaskRow): Promise<TaskRecord | null> {
  const rows = await sqlOf(em)<TaskRow>(
    `insert into task (dedupe_key, kind, record_ref, title, summary, details, buttons, channel, action_kind, action_payload)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (dedupe_key) do nothing
     returning *`,
    [
      t.dedupeKey,
      t.kind,
      t.recordRef,
      t.title,
      t.summary,
      JSON.stringify(t.details),
      JSON.stringify(t.buttons),
      t.channel,
      t.actionKind,
      t.actionPayload ? JSON.stringify(t.actionPayload) : null,
    ],
  );
  return taskOf(rows);
}

export async function findTaskByDedupeKey(em: EntityManager, dedupeKey: string | undefined): Promise<TaskRecord | null> {
  return taskOf(await sqlOf(em)<TaskRow>(`select * from task where dedupe_key = ?`, [dedupeKey]));
}

/**
 * Assigns an open task to `actor` (optimistic lock: with `expectedVersion`, only a task still at
 * that version); null when the task was not open at that version.
 */
export async function assignOpenTask(em: EntityManager, taskId: string, actor: Actor, expectedVersion: number | null): Promise<TaskRecord | null> {
  const rows = await sqlOf(em)<TaskRow>(
    `update task set assignee_slack_id = ?, assignee_name = ?, version = version + 1, updated_at = now()
      where id = ? and state = 'open' and (?::int is null or version = ?)
      returning *`,
    [actor.kind === 'slack' ? actor.id : null, actor.name, taskId, expectedVersion, expectedVersion],
  );
  return taskOf(rows);
}

/**
 * Decides an open task (new state, reason, who; optimistic lock as assignOpenTask); null when
 * the task was not open at that version.
 */
export async function decideOpenTask(
  em: EntityManager,
  taskId: string,
  d: { state: TaskState; reason: string | null; actor: Actor; expectedVersion: number | null },
): Promise<TaskRecord | null> {
  const rows = await sqlOf(em)<TaskRow>(
    `update task set state = ?, reason = ?, decided_at = now(), decided_by = ?, decided_by_id = ?,
            version = version + 1, updated_at = now()
      where id = ? and state = 'open' and (?::int is null or version = ?)
      returning *`,
    [d.state, d.reason, d.actor.name, d.actor.id, taskId, d.expectedVersion, d.expectedVersion],
  );
  return taskOf(rows);
}

/** A record's open tasks become 'done' with `reason`, decided by `actor`; returns them (in no particular order). */
export async function closeOpenTasksOfRecord(em: EntityManager, recordRef: string, reason: string, actor: Actor): Promise<TaskRecord[]> {
  const rows = await sqlOf(em)<TaskRow>(
    `update task set state = 'done', reason = ?, decided_at = now(), decided_by = ?, decided_by_id = ?, version = version + 1, updated_at = now()
      where record_ref = ? and state = 'open' returning *`,
    [reason, actor.name, actor.id, recordRef],
  );
  return rows.map(taskFromRow);
}

/** An open task becomes 'expired' (decided by Mailroom); null when it was not open. */
export async function expireOpenTask(em: EntityManager, taskId: string): Promise<TaskRecord | null> {
  const rows = await sqlOf(em)<TaskRow>(
    `update task set state = 'expired', decided_at = now(), decided_by = 'Mailroom', decided_by_id = 'system', version = version + 1, updated_at = now()
      where id = ? and state = 'open' returning *`,
    [taskId],
  );
  return taskOf(rows);
}

/** Every open approval task (one with an action kind), oldest first. */
export async function openApprovalTasks(em: EntityManager): Promise<{ id: string; action_kind: string; created_at: Date }[]> {
  return sqlOf(em)<{ id: string; action_kind: string; created_at: Date }>(
    `select id, action_kind, created_at from task where state = 'open' and action_kind is not null order by id`,
  );
}

/** Whether the task's Slack post has an outbox row (sent or on its way). */
export async function hasSlackPostRow(em: EntityManager, taskId: string): Promise<boolean> {
  const [post] = await sqlOf(em)(`select 1 from outbox_message where dedupe_key = ?`, [postKey(taskId)]);
  return !!post;
}
