/**
 * Privacy cases: from the filed email to the answer.
 *
 *   received ─▶ awaiting_verification (link to the address ON FILE) ─▶ verified ─▶ approval per
 *   right in Slack ─▶ executed ─▶ completed        (or denied with reasons; or needs_information
 *   when the sender is not on file: a neutral reply, nothing personal)
 *
 * Objection, unsubscribe and DO NOT TRACK take effect at once. Every step is audited with the
 * actor. Every email goes to the case's `subject_email` (the normalised address matched in our
 * records), never to Reply-To, a contact-form field or anything else in the request.
 */
import type { TemplateRenderer } from '../templates/render-template.ts';
import type { SlackChannels } from '../tasks/task-service.ts';
import type { Clock } from '../scheduler/clock.ts';
import type { PrivacyConfig } from './config.ts';
import type { SenderCheckOptions } from './identity.ts';
import type { PrivacyEffects } from './effects.ts';
import type { CoverageEntry } from './coverage.ts';

// The case's parts, by job: intake (filing a request), approvals (verification, approval per
// right, extension, closing), letters (every email to the person), and the case's data access.
export { handlePrivacyRequest, isOnFile } from './case-intake.ts';
export { extendCase, markVerified, privacyActions, proposeApprovals, verifyWithToken } from './case-approvals.ts';
export { effectiveDueDate, erasureVars } from './case-letters.ts';
export { audit, findCase, rightsOf, type AuditActor, type CaseRow, type RightRow } from './case-store.ts';
export { consumeToken } from './tokens.ts';

export interface PrivacyDeps {
  config: PrivacyConfig;
  secret: string;
  /** Base of the verification and download links (PUBLIC_URL). */
  publicUrl: string;
  mailFrom: string;
  fromName: string;
  /** Reply-To of this kind of mail (a formatted mailbox), when the configuration sets one. */
  replyTo?: string;
  orgName: string;
  messageIdDomain: string;
  prefix: string;
  templates: TemplateRenderer;
  channels: SlackChannels;
  postToSlack: boolean;
  clock: Clock;
  senderCheck?: SenderCheckOptions;
  /** What other concerns do on an opt-out, erasure or rectification (the composition root hands them in). */
  effects?: PrivacyEffects[];
  /** Every table that holds personal data and how access and erasure treat it (coverage.ts; the composition root merges the other concerns' entries). */
  coverage: CoverageEntry[];
}
