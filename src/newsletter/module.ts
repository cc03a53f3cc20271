import type { Config } from '../config/load-config.ts';
import { newsletterCoverage } from './privacy-coverage-store.ts';
import { newsletterPrivacyEffects } from './privacy-effects.ts';
import { startNewsletter } from './setup.ts';

/**
 * The newsletter module as the composition root registers it (src/app/modules.ts): its
 * tables for privacy access and erasure, what an objection, unsubscribe, DO NOT TRACK or
 * erasure does to subscriptions, and at start its routes, the broadcast approval, the
 * campaign job and the campaign sender on the shared queue worker.
 */
export const newsletterModule = {
  name: 'newsletter',
  privacyCoverage: newsletterCoverage,
  privacyEffects: (config: Config) => newsletterPrivacyEffects({ secret: config.secret }),
  start: startNewsletter,
};
