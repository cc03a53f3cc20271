import type { Config } from '../config/load-config.ts';
import { privacyDepsFromConfig } from '../privacy/wire.ts';
import type { PrivacyDeps } from '../privacy/case-service.ts';
import { newsletterPrivacyEffects } from '../newsletter/privacy-effects.ts';

/**
 * The privacy concern with what the other concerns do when someone opts out, is erased or
 * corrected. Every way a privacy case can move (the daemon's filing, Slack approvals, `mailroom
 * import`, `mailroom tasks approve`, `mailroom privacy approve`) builds its deps here, so an
 * objection reaches the newsletter however it arrives.
 */
export function privacyDepsWithEffects(config: Config, over: Parameters<typeof privacyDepsFromConfig>[1] = {}): PrivacyDeps {
  return { ...privacyDepsFromConfig(config, over), effects: [newsletterPrivacyEffects({ secret: config.secret })] };
}
