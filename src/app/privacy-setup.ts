import type { Config } from '../config/load-config.ts';
import { privacyDepsFromConfig } from '../privacy/wire.ts';
import type { PrivacyDeps } from '../privacy/case-service.ts';
import { mergeCoverage, type CoverageEntry } from '../privacy/coverage.ts';
import { newsletterPrivacyEffects } from '../newsletter/privacy-effects.ts';
import { newsletterCoverage } from '../newsletter/privacy-coverage-store.ts';
import { noticesCoverage } from '../notices/privacy-coverage-store.ts';

/** What the other concerns hold on a person, beside privacy's core tables (coverage.ts). */
export const otherCoverage: CoverageEntry[][] = [noticesCoverage, newsletterCoverage];

/** Every table that holds personal data, core and other concerns' alike. */
export function privacyCoverage(): CoverageEntry[] {
  return mergeCoverage(...otherCoverage);
}

/**
 * The privacy concern with what the other concerns hold on a person and do when someone opts
 * out, is erased or corrected. Every way a privacy case can move (the daemon's filing, Slack
 * approvals, `mailroom import`, `mailroom tasks approve`, `mailroom privacy approve`) builds its
 * deps here, so an objection reaches the newsletter however it arrives.
 */
export function privacyDepsWithEffects(config: Config, over: Parameters<typeof privacyDepsFromConfig>[1] = {}): PrivacyDeps {
  return { ...privacyDepsFromConfig(config, { coverage: otherCoverage, ...over }), effects: [newsletterPrivacyEffects({ secret: config.secret })] };
}
