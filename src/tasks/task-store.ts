/**
 * Named queries over tasks for the layers around them (Slack delivery, mailbox alerts, the CLI),
 * including the task's Slack post in the outbox, whose dedupe key task-service.ts gives it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { appendAudit } from './task-service.ts';
import type { Actor } from './task-types.ts';

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
  await appendAudit(sql, taskId, actor, 'posted', detail);
  return true;
}
