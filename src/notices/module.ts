import { noticesCoverage } from './privacy-coverage-store.ts';
import { setupNotices } from './setup.ts';

/**
 * The operations-notices module as the composition root registers it (src/app/modules.ts):
 * its contact tables for privacy access and erasure, and at start the notice job and the
 * 'notice' approval action.
 */
export const noticesModule = {
  name: 'notices',
  privacyCoverage: noticesCoverage,
  start: (ctx: Omit<Parameters<typeof setupNotices>[0], 'log'> & { log: Parameters<typeof setupNotices>[0]['log'] }): void => {
    setupNotices({ ...ctx, log: ctx.log.child({ part: 'notices' }) });
  },
};
