import { defineEntity, p } from '@mikro-orm/core';

export type NoticeKind = 'maintenance' | 'incident' | 'broadcast';
export type NoticeState = 'draft' | 'awaiting-approval' | 'scheduled' | 'active' | 'completed' | 'resolved' | 'cancelled' | 'rejected';
export type NoticeStepKind = 'announcement' | 'reminder' | 'started' | 'completed' | 'incident' | 'update' | 'resolved' | 'broadcast' | 'cancellation';
export type NoticeStepState = 'held' | 'pending' | 'sent' | 'skipped' | 'cancelled';

/** Which services (keys of notices.services in config) an organisation uses. */
export const OrganisationService = defineEntity({
  name: 'OrganisationService',
  tableName: 'organisation_service',
  properties: {
    organisationId: p.bigint('string').primary(),
    service: p.text().primary(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});

/** An operations notice: planned maintenance, an incident, or one period of a recurring broadcast. */
export const Notice = defineEntity({
  name: 'Notice',
  tableName: 'notice',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    ref: p.text().unique(),
    kind: p.string().$type<NoticeKind>(),
    state: p.string().$type<NoticeState>().default('draft'),
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
    approvalTaskId: p.bigint('string').nullable(),
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
});

/** One message of a notice's schedule; goes from pending to sent, skipped or cancelled once. */
export const NoticeStep = defineEntity({
  name: 'NoticeStep',
  tableName: 'notice_step',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    noticeId: p.bigint('string'),
    seq: p.integer(),
    step: p.string().$type<NoticeStepKind>(),
    label: p.text(),
    offsetMinutes: p.integer().nullable(),
    body: p.text().nullable(),
    dueAt: p.datetime(),
    expiresAt: p.datetime().nullable(),
    state: p.string().$type<NoticeStepState>().default('pending'),
    reason: p.text().nullable(),
    requestedBy: p.text().nullable(),
    requestedById: p.text().nullable(),
    approvalTaskId: p.bigint('string').nullable(),
    recipients: p.integer().nullable(),
    doneAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});

/** One mail of one step to one ops-notice contact (personal data: the address). */
export const NoticeDelivery = defineEntity({
  name: 'NoticeDelivery',
  tableName: 'notice_delivery',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    noticeId: p.bigint('string'),
    stepId: p.bigint('string'),
    contactId: p.bigint('string').nullable(),
    organisationId: p.bigint('string').nullable(),
    email: p.text().nullable(),
    language: p.text(),
    messageId: p.text(),
    outboxId: p.bigint('string').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
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
