import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import type { ActionRegistry } from './action-registry.ts';
import type { TasksConfig } from './tasks-config.ts';
import { scheduleTaskExpiry } from './task-expiry.ts';

/**
 * The tasks module as the composition root registers it (src/app/modules.ts): the expiry of
 * stale approvals. Registered last, so every module's actions (and whether they may expire)
 * are known when the job first runs.
 */
export const tasksModule = {
  name: 'tasks',
  start: (ctx: { scheduler: Scheduler; orm: Orm; actions: ActionRegistry; config: { behaviour: { tasks: TasksConfig } }; log: Logger; onCommitted: () => void }): void => {
    scheduleTaskExpiry({ scheduler: ctx.scheduler, orm: ctx.orm, actions: ctx.actions, config: ctx.config.behaviour.tasks, log: ctx.log.child({ part: 'tasks' }), onCommitted: ctx.onCommitted });
  },
};
