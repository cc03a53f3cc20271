// What every part of a privacy case needs; its own file so the case's parts and the
// case-service façade that re-exports them do not import each other.
import type { TemplateRenderer } from '../templates/render-template.ts';
import type { SlackChannels } from '../tasks/task-service.ts';
import type { Clock } from '../scheduler/clock.ts';
import type { PrivacyConfig } from './config.ts';
import type { SenderCheckOptions } from './identity.ts';
import type { PrivacyEffects } from './effects.ts';
import type { CoverageEntry } from './coverage.ts';

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
