import type { Config } from '../config/load-config.ts';
import { newsletterCoverage } from './privacy-coverage-store.ts';
import { newsletterPrivacyEffects } from './privacy-effects.ts';
import type { NewsletterWiring } from './setup.ts';

/**
 * The newsletter module as the composition root registers it (src/app/modules.ts): its
 * tables for privacy access and erasure, what an objection, unsubscribe, DO NOT TRACK or
 * erasure does to subscriptions, and at start its routes, the broadcast approval, the
 * campaign job and the campaign sender on the shared queue worker. The start code is imported
 * when the daemon starts it: every CLI command that moves a privacy case reads this entry's
 * hooks, and must not load the campaign sender to do so.
 */
export const newsletterModule = {
  name: 'newsletter',
  privacyCoverage: newsletterCoverage,
  privacyEffects: (config: Config) => newsletterPrivacyEffects({ secret: config.secret }),
  start: async (ctx: NewsletterWiring) => (await import('./setup.ts')).startNewsletter(ctx),
};
