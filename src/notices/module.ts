import type { Config } from '../config/load-config.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import type { Clock } from '../scheduler/clock.ts';
import { noticesCoverage } from './privacy-coverage-store.ts';

/**
 * The operations-notices module as the composition root registers it (src/app/modules.ts):
 * its contact tables for privacy access and erasure, and at start the notice job and the
 * 'notice' approval action (imported then, so the CLI reading the coverage hook stays light).
 */
export const noticesModule = {
  name: 'notices',
  privacyCoverage: noticesCoverage,
  start: async (ctx: { config: Config; orm: Orm; scheduler: Scheduler; actions: ActionRegistry; clock: Clock; log: Logger; onCommitted: () => void }): Promise<void> => {
    const { setupNotices } = await import('./setup.ts');
    setupNotices({ ...ctx, log: ctx.log.child({ part: 'notices' }) });
  },
};
