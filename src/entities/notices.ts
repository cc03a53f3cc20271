import { defineEntity, p } from '@mikro-orm/core';
import { Contact, Organisation } from './crm.ts';
import { OutboxMessage } from './outbox-message.ts';
import { references } from './references.ts';
import { Task } from './task.ts';

const NOTICE_KINDS = ['maintenance', 'incident', 'broadcast'] as const;
const NOTICE_STATES = ['draft', 'awaiting-approval', 'scheduled', 'active', 'completed', 'resolved', 'cancelled', 'rejected'] as const;
const NOTICE_STEP_KINDS = ['announcement', 'reminder', 'started', 'completed', 'incident', 'update', 'resolved', 'broadcast', 'cancellation'] as const;
const NOTICE_STEP_STATES = ['held', 'pending', 'sent', 'skipped', 'cancelled'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
export type NoticeState = (typeof NOTICE_STATES)[number];
export type NoticeStepKind = (typeof NOTICE_STEP_KINDS)[number];
export type NoticeStepState = (typeof NOTICE_STEP_STATES)[number];

/** Which services (keys of notices.services in config) an organisation uses. */
export const OrganisationService = defineEntity({
  name: 'OrganisationService',
  tableName: 'organisation_service',
  properties: {
    organisation: () => references(Organisation).primary().deleteRule('cascade'),
    service: p.text().primary(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ name: 'organisation_service_service_idx', properties: ['service'] }],
});

/** An operations notice: planned maintenance, an incident, or one period of a recurring broadcast. */
export const Notice = defineEntity({
  name: 'Notice',
  tableName: 'notice',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    ref: p.text().unique(),
    kind: p.enum([...NOTICE_KINDS]),
    state: p.enum([...NOTICE_STATES]).default('draft'),
    title: p.text(),
    body: p.text().default(''),
    services: p.array().default([]),
    allCustomers: p.boolean().default(false),
    severity: p.text().nullable(),
    windowStart: p.datetime().nullable(),
    windowEnd: p.datetime().nullable(),
    broadcastKey: p.text().nullable(),
    periodStart: p.datetime().nullable(),
    template: p.text().nullable(),
    approvalTask: () => references(Task).nullable(),
    approvedBy: p.text().nullable(),
    approvedById: p.text().nullable(),
    approvedAt: p.datetime().nullable(),
    createdBy: p.text().nullable(),
    scheduledAt: p.datetime().nullable(),
    cancelledAt: p.datetime().nullable(),
    cancelledBy: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  // A recurring broadcast has one notice per period.
  uniques: [{ properties: ['broadcastKey', 'periodStart'] }],
  checks: [
    // Planned maintenance always has a window that ends after it starts.
    { name: 'notice_check', expression: `kind <> 'maintenance' or (window_start is not null and window_end is not null and window_end > window_start)` },
  ],
  indexes: [{ name: 'notice_state_idx', expression: `create index notice_state_idx on notice (state) where state in ('scheduled', 'active')` }],
});

/** One message of a notice's schedule; goes from pending to sent, skipped or cancelled once. */
export const NoticeStep = defineEntity({
  name: 'NoticeStep',
  tableName: 'notice_step',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    notice: () => references(Notice).deleteRule('cascade'),
    seq: p.integer(),
    step: p.enum([...NOTICE_STEP_KINDS]),
    label: p.text(),
    offsetMinutes: p.integer().nullable(),
    body: p.text().nullable(),
    dueAt: p.datetime(),
    expiresAt: p.datetime().nullable(),
    state: p.enum([...NOTICE_STEP_STATES]).default('pending'),
    reason: p.text().nullable(),
    requestedBy: p.text().nullable(),
    requestedById: p.text().nullable(),
    approvalTask: () => references(Task).nullable(),
    recipients: p.integer().nullable(),
    doneAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ properties: ['notice', 'label'] }, { properties: ['notice', 'seq'] }],
  indexes: [{ name: 'notice_step_due_idx', expression: `create index notice_step_due_idx on notice_step (due_at) where state = 'pending'` }],
});

/** One mail of one step to one ops-notice contact (personal data: the address). */
export const NoticeDelivery = defineEntity({
  name: 'NoticeDelivery',
  tableName: 'notice_delivery',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    notice: () => references(Notice).deleteRule('cascade'),
    step: () => references(NoticeStep).deleteRule('cascade'),
    contact: () => references(Contact).nullable().deleteRule('set null'),
    organisation: () => references(Organisation).nullable().deleteRule('set null'),
    email: p.text().nullable(),
    language: p.text(),
    messageId: p.text(),
    outbox: () => references(OutboxMessage).nullable().deleteRule('set null'),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ properties: ['step', 'contact'] }],
  indexes: [
    { name: 'notice_delivery_thread_idx', properties: ['notice', 'contact', 'id'] },
    { name: 'notice_delivery_contact_idx', properties: ['contact'] },
  ],
});

/** When a configured recurring broadcast was first seen; periods before that are never sent. */
export const NoticeBroadcast = defineEntity({
  name: 'NoticeBroadcast',
  tableName: 'notice_broadcast',
  properties: {
    key: p.text().primary(),
    firstSeenAt: p.datetime(),
    lastPeriodStart: p.datetime().nullable(),
  },
});

export const noticeEntities = [OrganisationService, Notice, NoticeStep, NoticeDelivery, NoticeBroadcast];
