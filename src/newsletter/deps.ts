import type { TemplateRenderer } from '../templates/render-template.ts';
import type { NewsletterConfig } from './config-schema.ts';
import type { SlackChannels } from '../tasks/task-service.ts';

/** What the newsletter concern needs from the composition root (nothing reads env or config itself). */
export interface NewsletterDeps {
  secret: string;
  /** Base URL of the public pages and tracking links, no trailing slash. */
  publicUrl: string;
  mailFrom: string;
  fromName: string;
  /** Reply-To of this kind of mail (a formatted mailbox), when the configuration sets one. */
  replyTo?: string;
  orgName: string;
  messageIdDomain: string;
  config: NewsletterConfig;
  templates: TemplateRenderer;
  slack: { channels: SlackChannels; postToSlack: boolean };
  now?: () => Date;
}

export type Lang = 'nb' | 'en';

export function normaliseEmail(address: string): string {
  return address.trim().toLowerCase();
}

