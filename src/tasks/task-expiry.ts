/**
 * Stale approvals expire on schedule: an approval nobody decided within
 * `tasks.approvalsExpireAfterHours` becomes 'expired', its record goes back to where staff can
 * ask again (the action's onExpire: a campaign or notice returns to draft), and its Slack
 * message says so. Approvals whose action has no onExpire never expire: privacy approvals run
 * against a legal deadline that has reminders of its own, and must not quietly lapse.
 */
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import type { ActionRegistry } from './action-registry.ts';
import { expireTasks, staleApprovalTaskIds } from './task-endings.ts';
import type { TasksConfig } from './tasks-config.ts';

export { tasksConfigSchema, type TasksConfig } from './tasks-config.ts';


/** The lifetime of an approval of `actionKind` in ms, or null when it never expires. */
export function approvalLifetimeMs(config: TasksConfig, actions: Pick<ActionRegistry, 'canExpire'>, actionKind: string): number | null {
  if (config.approvalsExpireAfterHours <= 0 || !actions.canExpire(actionKind)) return null;
  return config.approvalsExpireAfterHours * 3600_000;
}

/** Registers the expiry job on the daemon's scheduler. */
export function scheduleTaskExpiry(o: { scheduler: Scheduler; orm: Orm; actions: ActionRegistry; config: TasksConfig; log: Logger; onCommitted?: () => void }): void {
  o.scheduler.every('task-expiry', o.config.expiryCheckCron, async (now) => {
    const ids = await staleApprovalTaskIds(o.orm.em.fork(), now, (kind) => approvalLifetimeMs(o.config, o.actions, kind));
    if (ids.length === 0) return;
    const expired = await expireTasks(o.orm.em.fork(), ids, { actions: o.actions });
    if (expired.length === 0) return;
    o.log.info({ tasks: expired.map((t) => t.publicId) }, 'stale approvals expired');
    o.onCommitted?.();
  });
}
