import { defineEntity, p } from '@mikro-orm/core';

/**
 * Newsletter tables as entities, for readers and the CLI. The newsletter code itself speaks SQL
 * (src/newsletter/*): claiming recipients and storing events are set operations.
 * newsletter_subscription and newsletter_consent_log are SQL-only; the suppression list is src/suppression.
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
    language: p.text().default('nb'),
    dnt: p.boolean().default(false),
    softBounces: p.integer().default(0),
    suppressedReason: p.text().nullable(),
    suppressedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

export const NewsletterCampaign = defineEntity({
  name: 'NewsletterCampaign',
  tableName: 'newsletter_campaign',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    name: p.text(),
    subject: p.text(),
    listIds: p.array().$type<string[]>(),
    language: p.text().default('nb'),
    templateHtml: p.text(),
    templateText: p.text().nullable(),
    status: p.text().default('draft'),
    scheduledAt: p.datetime().nullable(),
    preparedHtml: p.text().nullable(),
    links: p.json<string[]>(),
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

export const NewsletterRecipient = defineEntity({
  name: 'NewsletterRecipient',
  tableName: 'newsletter_recipient',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    campaignId: p.bigint('string'),
    subscriberId: p.bigint('string').nullable(),
    email: p.text(),
    domain: p.text(),
    status: p.text().default('queued'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().defaultRaw('now()'),
    claimedBy: p.text().nullable(),
    claimedAt: p.datetime().nullable(),
    inDoubt: p.boolean().default(false),
    lastError: p.text().nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});

export const NewsletterEvent = defineEntity({
  name: 'NewsletterEvent',
  tableName: 'newsletter_event',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    campaignId: p.bigint('string'),
    subscriberId: p.bigint('string').nullable(),
    kind: p.text(),
    linkIndex: p.integer().nullable(),
    machine: p.boolean().default(false),
    machineReason: p.text().nullable(),
    ip: p.text().nullable(),
    at: p.datetime().defaultRaw('now()'),
  },
});

export const newsletterEntities = [NewsletterList, NewsletterSubscriber, NewsletterCampaign, NewsletterRecipient, NewsletterEvent];
