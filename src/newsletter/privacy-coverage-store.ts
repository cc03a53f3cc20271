import type { CoverageEntry } from '../privacy/coverage.ts';

const SUBS = `(select id from newsletter_subscriber where email = any(:emails))`;

/**
 * The newsletter's personal data for access packages and erasures (see src/privacy/coverage.ts):
 * SQL over the newsletter's tables that privacy runs (hence a store file).
 */
export const newsletterCoverage: CoverageEntry[] = [
  {
    entity: 'NewsletterSubscriber',
    table: 'newsletter_subscriber',
    system: 'newsletter',
    personal: true,
    match: `email = any(:emails)`,
    erase: {
      action: 'delete',
      order: 60,
      // The erasure itself puts the address on the suppression list (a keyed hash, see
      // src/suppression), so no import can add the person back unasked.
      sql: [`delete from newsletter_subscriber where email = any(:emails)`],
      ground: 'A keyed one-way hash of the address is kept in the suppression list so that no later import or sign-up without a new confirmed opt-in sends to it (GDPR art. 21(3), 17(3)(e)).',
    },
  },
  {
    entity: 'newsletter_subscription',
    table: 'newsletter_subscription',
    system: 'newsletter',
    personal: true,
    match: `subscriber_id in ${SUBS}`,
    erase: { action: 'delete', order: 50, sql: [`delete from newsletter_subscription where subscriber_id in ${SUBS}`] },
  },
  {
    entity: 'newsletter_consent_log',
    table: 'newsletter_consent_log',
    system: 'newsletter',
    personal: true,
    match: `subscriber_id in ${SUBS}`,
    erase: { action: 'delete', order: 50, sql: [`delete from newsletter_consent_log where subscriber_id in ${SUBS}`] },
  },
  {
    entity: 'NewsletterRecipient',
    table: 'newsletter_recipient',
    system: 'newsletter',
    personal: true,
    match: `email = any(:emails)`,
    columns: `campaign_id, status, attempts, last_error, sent_at, created_at`,
    erase: { action: 'delete', order: 40, sql: [`delete from newsletter_recipient where email = any(:emails) and status <> 'sending'`] },
  },
  {
    entity: 'NewsletterEvent',
    table: 'newsletter_event',
    system: 'newsletter',
    personal: true,
    match: `subscriber_id in ${SUBS}`,
    columns: `campaign_id, kind, link_index, machine, machine_reason, ip, at`,
    erase: { action: 'delete', order: 40, sql: [`delete from newsletter_event where subscriber_id in ${SUBS}`] },
  },

  { entity: 'NewsletterList', table: 'newsletter_list', system: 'newsletter', personal: false, erase: { action: 'none' }, note: 'list names only' },
  { entity: 'NewsletterCampaign', table: 'newsletter_campaign', system: 'newsletter', personal: false, erase: { action: 'none' }, note: 'campaign content and who approved it (staff)' },
];
