/**
 * How tasks end without anyone deciding them: closed with their record (a case completed, an
 * item resolved, a ticket closed, a notice or campaign cancelled) or expired when stale. Each
 * end is audited, and a task with a Slack message gets it updated through the outbox.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ActionRegistry } from './action-registry.ts';
import { enqueueUpdate } from './task-service.ts';
import { appendAudit, closeOpenTasksOfRecord, expireOpenTask, hasSlackPostRow, openApprovalTasks } from './task-store.ts';
import type { Actor, TaskRecord } from './task-types.ts';

const MAILROOM: Actor = { kind: 'system', id: 'mailroom', name: 'Mailroom' };

/**
 * A Slack update for a task changed without a decision (closed with its record, expired): only
 * when the task has a Slack message, or a post on its way. Whether Slack was on when the task
 * was made is what its post row says, so no caller has to pass it on.
 */
async function enqueueUpdateIfPosted(em: EntityManager, task: TaskRecord, auditId: string): Promise<void> {
  if ((await hasSlackPostRow(em, task.id)) || task.slackTs) await enqueueUpdate(em, task, auditId);
}

/**
 * A record's open tasks close with it (a privacy case completed, a triage item resolved, a
 * ticket closed, a notice cancelled): state 'done' with the reason, an audit row, and their
 * Slack messages updated through the outbox. Runs in `em`'s transaction; returns what it closed.
 */
export async function closeTasksOfRecord(em: EntityManager, recordRef: string, input: { reason: string; actor?: Actor }): Promise<TaskRecord[]> {
  const actor = input.actor ?? MAILROOM;
  const closed = (await closeOpenTasksOfRecord(em, recordRef, input.reason, actor)).sort((a, b) => Number(a.id) - Number(b.id));
  for (const task of closed) {
    const auditId = await appendAudit(em, task.id, actor, 'done', { reason: input.reason, closedWith: recordRef, version: task.version });
    await enqueueUpdateIfPosted(em, task, auditId);
  }
  return closed;
}

/**
 * Open approval tasks older than their lifetime, oldest first. `afterMs` gives the lifetime
 * per action kind; a kind it gives none (or 0) for never expires.
 */
export async function staleApprovalTaskIds(em: EntityManager, now: Date, afterMs: (actionKind: string) => number | null): Promise<string[]> {
  const rows = await openApprovalTasks(em);
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
      const task = await expireOpenTask(tx, id);
      if (!task) return;
      const auditId = await appendAudit(tx, task.id, MAILROOM, 'expired');
      if (task.actionKind) await opts.actions?.runExpire(task.actionKind, tx, task, MAILROOM);
      await enqueueUpdateIfPosted(tx, task, auditId);
      expired.push(task);
    });
  }
  return expired;
}
