import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import type { PrivacyDeps } from './case-service.ts';
import { wirePrivacy, type WirePrivacyInput } from './wire.ts';

/**
 * The privacy module as the composition root registers it (src/app/modules.ts). Its own
 * tables and the CRM's are its core coverage (coverage.ts); the other modules' tables and
 * effects reach it through their hooks, merged into `privacy` by src/app/privacy-setup.ts.
 * At start: the approval actions, the reminder and retention jobs and the public link routes.
 */
export const privacyModule = {
  name: 'privacy',
  start: (ctx: { orm: Orm; privacy: PrivacyDeps; actions: ActionRegistry; scheduler: Scheduler; route: NonNullable<WirePrivacyInput['route']>; log: Logger; onCommitted: () => void }): void => {
    wirePrivacy({ orm: ctx.orm, deps: ctx.privacy, actions: ctx.actions, scheduler: ctx.scheduler, route: ctx.route, log: ctx.log.child({ part: 'privacy' }), onCommitted: ctx.onCommitted });
  },
};
