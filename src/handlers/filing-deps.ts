import type { EntityManager } from '@mikro-orm/postgresql';
import type { RoutingConfig } from '../classify/routing-rules.ts';
import type { TemplateRenderer } from '../templates/render-template.ts';
import type { IdPrefixes } from '../records/record-ids.ts';
import type { PrivacyDeps } from '../privacy/case-service.ts';
import type { Senders } from '../mail/senders.ts';

/** Something staff should hear about (Slack when configured; the CLI lists it otherwise). */
export type StaffEvent =
  | { kind: 'new-ticket'; ref: string; subject: string; organisation?: string }
  | { kind: 'new-lead'; ref: string; subject: string; organisation?: string; dealer?: string }
  | { kind: 'triage'; triageId: string; suggestedRoute: string; subject: string; reason: string };

/** What differs between mailboxes when filing their mail (`mailboxes:` in config/mailroom.yaml). */
export interface MailboxFiling {
  defaultQueue: RoutingConfig['defaultQueue'];
  /** The mailbox's own acknowledgement senders (its ackFrom/replyTo over the queue's); absent: the queues' senders. */
  senders?: Partial<Senders>;
}

export interface FilingDeps {
  routing: RoutingConfig;
  prefixes: IdPrefixes;
  secret: string;
  messageIdDomain: string;
  /** The default sender (bare address and display name). */
  mailFrom: string;
  fromName: string;
  /** Per-queue senders: tickets answer as `support`, leads as `sales`; absent ones use the default. */
  senders?: Partial<Senders>;
  /** Per mailbox name: its default queue and acknowledgement sender. Mail from elsewhere uses the fields above. */
  mailboxes?: Record<string, MailboxFiling>;
  orgName: string;
  ownDomains: string[];
  maxAcksPerHour: number;
  acknowledgementsEnabled: boolean;
  templates: TemplateRenderer;
  /** Called inside the filing transaction, so a staff task commits with the record it is about. */
  notifyStaff?: (em: EntityManager, event: StaffEvent) => Promise<void>;
  /** Newsletter bounce handling (soft bounces before an address is suppressed). */
  newsletter?: { softBounceLimit: number };
  /** Privacy requests (route 'privacy'); without it they go to staff triage. */
  privacy?: PrivacyDeps;
}
