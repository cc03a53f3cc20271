import { defineEntity, p } from '@mikro-orm/core';
import { references } from './references.ts';

/**
 * Newsletter tables as entities. The newsletter code itself speaks SQL (src/newsletter/*):
 * claiming recipients and storing events are set operations. The suppression list is src/suppression.
 */
export const NewsletterList = defineEntity({
  name: 'NewsletterList',
  tableName: 'newsletter_list',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    slug: p.text().unique(),
    nameNb: p.text(),
    nameEn: p.text(),
    public: p.boolean().default(true),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});

export const NewsletterSubscriber = defineEntity({
  name: 'NewsletterSubscriber',
  tableName: 'newsletter_subscriber',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    email: p.text().unique(),
    name: p.text().nullable(),
    language: p.enum(['nb', 'en']).default('nb'),
    dnt: p.boolean().default(false),
    softBounces: p.integer().default(0),
    suppressedReason: p.text().nullable(),
    suppressedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

/** A subscriber on a list, with the consent that put them there. */
export const NewsletterSubscription = defineEntity({
  name: 'NewsletterSubscription',
  tableName: 'newsletter_subscription',
  properties: {
    subscriber: () => references(NewsletterSubscriber).primary().deleteRule('cascade'),
    list: () => references(NewsletterList).primary().deleteRule('cascade'),
    status: p.enum(['pending', 'confirmed', 'unsubscribed']),
    consentAt: p.datetime().nullable(),
    consentSource: p.text().nullable(),
    consentIp: p.text().nullable(),
    confirmedAt: p.datetime().nullable(),
    unsubscribedAt: p.datetime().nullable(),
  },
  indexes: [{ name: 'newsletter_subscription_list_idx', properties: ['list', 'status'] }],
});

/** The consent trail: every sign-on, confirmation and sign-off, with where it came from. */
export const NewsletterConsentLog = defineEntity({
  name: 'NewsletterConsentLog',
  tableName: 'newsletter_consent_log',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    subscriber: () => references(NewsletterSubscriber).nullable().deleteRule('cascade'),
    // A plain column: migration 0009 gave it no foreign key.
    listId: p.bigint('string').nullable(),
    action: p.text(),
    source: p.text(),
    ip: p.text().nullable(),
    at: p.datetime().defaultRaw('now()'),
  },
});

export const NewsletterCampaign = defineEntity({
  name: 'NewsletterCampaign',
  tableName: 'newsletter_campaign',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    name: p.text(),
    subject: p.text(),
    listIds: p.array().$type<string[]>().columnType('bigint[]'),
    language: p.text().default('nb'),
    templateHtml: p.text(),
    templateText: p.text().nullable(),
    status: p.enum(['draft', 'awaiting-approval', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'rejected']).default('draft'),
    scheduledAt: p.datetime().nullable(),
    preparedHtml: p.text().nullable(),
    links: p.json<string[]>().default([]),
    taskId: p.bigint('string').nullable(),
    approvedBy: p.text().nullable(),
    approvedAt: p.datetime().nullable(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    summaryPosted: p.boolean().default(false),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

/** One durable row per recipient of a campaign: the campaign's send queue. */
export const NewsletterRecipient = defineEntity({
  name: 'NewsletterRecipient',
  tableName: 'newsletter_recipient',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    campaign: () => references(NewsletterCampaign).deleteRule('cascade'),
    // No foreign key (migration 0009): an erasure deletes the subscriber, the send record stays.
    subscriberId: p.bigint('string').nullable(),
    email: p.text(),
    domain: p.text(),
    status: p.enum(['queued', 'sending', 'sent', 'failed', 'bounced', 'cancelled']).default('queued'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().defaultRaw('now()'),
    claimedBy: p.text().nullable(),
    claimedAt: p.datetime().nullable(),
    inDoubt: p.boolean().default(false),
    lastError: p.text().nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ properties: ['campaign', 'subscriberId'] }],
  indexes: [
    {
      name: 'newsletter_recipient_due_idx',
      expression: `create index newsletter_recipient_due_idx on newsletter_recipient (campaign_id, next_attempt_at, id) where status = 'queued'`,
    },
    { name: 'newsletter_recipient_sending_idx', expression: `create index newsletter_recipient_sending_idx on newsletter_recipient (claimed_by) where status = 'sending'` },
    { name: 'newsletter_recipient_sub_idx', properties: ['subscriberId'] },
  ],
});

/** Tracking events (IPs truncated). Plain id columns: migration 0009 gave them no foreign keys. */
export const NewsletterEvent = defineEntity({
  name: 'NewsletterEvent',
  tableName: 'newsletter_event',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    campaignId: p.bigint('string'),
    subscriberId: p.bigint('string').nullable(),
    kind: p.enum(['open', 'click', 'view', 'unsubscribe']),
    linkIndex: p.integer().nullable(),
    machine: p.boolean().default(false),
    machineReason: p.text().nullable(),
    ip: p.text().nullable(),
    at: p.datetime().defaultRaw('now()'),
  },
  indexes: [
    { name: 'newsletter_event_campaign_idx', properties: ['campaignId', 'kind', 'at'] },
    { name: 'newsletter_event_sub_idx', properties: ['subscriberId'] },
  ],
});

export const newsletterEntities = [
  NewsletterList,
  NewsletterSubscriber,
  NewsletterSubscription,
  NewsletterConsentLog,
  NewsletterCampaign,
  NewsletterRecipient,
  NewsletterEvent,
];
