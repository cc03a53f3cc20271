/**
 * How tasks end without anyone deciding them: closed with their record (a case completed, an
 * item resolved, a ticket closed, a notice or campaign cancelled) or expired when stale. Each
 * end is audited, and a task with a Slack message gets it updated through the outbox.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { ActionRegistry } from './action-registry.ts';
import { appendAudit, enqueueUpdate, taskFromRow, type TaskRow } from './task-service.ts';
import type { Actor, TaskRecord } from './task-types.ts';

const MAILROOM: Actor = { kind: 'system', id: 'mailroom', name: 'Mailroom' };

/**
 * A Slack update for a task changed without a decision (closed with its record, expired): only
 * when the task has a Slack message, or a post on its way. Whether Slack was on when the task
 * was made is what its post row says, so no caller has to pass it on.
 */
async function enqueueUpdateIfPosted(em: EntityManager, task: TaskRecord, auditId: string): Promise<void> {
  const [post] = await sqlOf(em)(`select 1 from outbox_message where dedupe_key = ?`, [`task:${task.id}:post`]);
  if (post || task.slackTs) await enqueueUpdate(em, task, auditId);
}

/**
 * A record's open tasks close with it (a privacy case completed, a triage item resolved, a
 * ticket closed, a notice cancelled): state 'done' with the reason, an audit row, and their
 * Slack messages updated through the outbox. Runs in `em`'s transaction; returns what it closed.
 */
export async function closeTasksOfRecord(em: EntityManager, recordRef: string, input: { reason: string; actor?: Actor }): Promise<TaskRecord[]> {
  const actor = input.actor ?? MAILROOM;
  const sql = sqlOf(em);
  const rows = await sql<TaskRow>(
    `update task set state = 'done', reason = ?, decided_at = now(), decided_by = ?, decided_by_id = ?, version = version + 1, updated_at = now()
      where record_ref = ? and state = 'open' returning *`,
    [input.reason, actor.name, actor.id, recordRef],
  );
  const closed = rows.map(taskFromRow).sort((a, b) => Number(a.id) - Number(b.id));
  for (const task of closed) {
    const auditId = await appendAudit(sql, task.id, actor, 'done', { reason: input.reason, closedWith: recordRef, version: task.version });
    await enqueueUpdateIfPosted(em, task, auditId);
  }
  return closed;
}

/**
 * Open approval tasks older than their lifetime, oldest first. `afterMs` gives the lifetime
 * per action kind; a kind it gives none (or 0) for never expires.
 */
export async function staleApprovalTaskIds(em: EntityManager, now: Date, afterMs: (actionKind: string) => number | null): Promise<string[]> {
  const rows = await sqlOf(em)<{ id: string; action_kind: string; created_at: Date }>(
    `select id, action_kind, created_at from task where state = 'open' and action_kind is not null order by id`,
  );
  return rows
    .filter((r) => {
      const ms = afterMs(r.action_kind);
      return !!ms && ms > 0 && now.getTime() - new Date(r.created_at).getTime() >= ms;
    })
    .map((r) => String(r.id));
}

/**
 * Open tasks whose lifetime is over become 'expired' (the scheduled job in task-expiry.ts calls
 * this); each gets an audit row, its action's expiry handler (the record it would have changed
 * goes back to where staff can ask again), and a Slack update when it has a message.
 */
export async function expireTasks(em: EntityManager, ids: string[], opts: { actions?: ActionRegistry } = {}): Promise<TaskRecord[]> {
  const expired: TaskRecord[] = [];
  for (const id of ids) {
    await em.transactional(async (tx) => {
      const sql = sqlOf(tx);
      const rows = await sql<TaskRow>(
        `update task set state = 'expired', decided_at = now(), decided_by = 'Mailroom', decided_by_id = 'system', version = version + 1, updated_at = now()
          where id = ? and state = 'open' returning *`,
        [id],
      );
      if (!rows[0]) return;
      const task = taskFromRow(rows[0]);
      const auditId = await appendAudit(sql, task.id, MAILROOM, 'expired');
      if (task.actionKind) await opts.actions?.runExpire(task.actionKind, tx, task, MAILROOM);
      await enqueueUpdateIfPosted(tx, task, auditId);
      expired.push(task);
    });
  }
  return expired;
}
