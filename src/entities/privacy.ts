import { defineEntity, p } from '@mikro-orm/core';

export type PrivacyCaseState = 'received' | 'awaiting_verification' | 'needs_information' | 'verified' | 'in_progress' | 'completed' | 'denied' | 'cancelled';
export type PrivacyRightState = 'received' | 'pending_approval' | 'approved' | 'executed' | 'completed' | 'denied' | 'cancelled';

/**
 * A privacy request (PRV-000123). The clock starts at `receivedAt` (the inbound message's
 * received time); `dueAt` is the earlier of +30 days and +1 calendar month in Europe/Oslo.
 * `subjectEmail` is the address ON FILE that every answer goes to (never Reply-To). Kept after
 * an erasure on the accountability ground (GDPR art. 5(2)).
 */
export const PrivacyCase = defineEntity({
  name: 'PrivacyCase',
  tableName: 'privacy_case',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    ref: p.text().unique(),
    inboundMessageId: p.bigint('string').nullable(),
    receivedAt: p.datetime(),
    dueAt: p.datetime(),
    dueDate: p.text(),
    extendedDueAt: p.datetime().nullable(),
    extensionReason: p.text().nullable(),
    state: p.string().$type<PrivacyCaseState>().default('received'),
    language: p.text().default('nb'),
    subjectEmail: p.text(),
    subjectContactId: p.bigint('string').nullable(),
    senderOnFile: p.boolean().default(false),
    dmarc: p.text().nullable(),
    identity: p.string().$type<'verified' | 'pending' | 'failed' | 'unknown'>().default('pending'),
    verifiedAt: p.datetime().nullable(),
    closedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

/** One right asked for in a case; each is tracked (and approved) on its own. */
export const PrivacyRightItem = defineEntity({
  name: 'PrivacyRightItem',
  tableName: 'privacy_right',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    caseId: p.bigint('string'),
    right: p.text(),
    state: p.string().$type<PrivacyRightState>().default('received'),
    taskId: p.bigint('string').nullable(),
    detail: p.json<Record<string, unknown>>().nullable(),
    outcome: p.json<Record<string, unknown>>().nullable(),
    reason: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

/** Append-only (a trigger refuses UPDATE, DELETE, TRUNCATE): every step and who took it. */
export const PrivacyAudit = defineEntity({
  name: 'PrivacyAudit',
  tableName: 'privacy_audit',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    caseId: p.bigint('string'),
    rightId: p.bigint('string').nullable(),
    at: p.datetime().defaultRaw('now()'),
    actorKind: p.string().$type<'system' | 'slack' | 'cli' | 'subject'>(),
    actorId: p.text().nullable(),
    actorName: p.text().nullable(),
    action: p.text(),
    detail: p.json<Record<string, unknown>>().nullable(),
  },
});

/** One-time, expiring link tokens; only the SHA-256 of the token is stored. */
export const PrivacyToken = defineEntity({
  name: 'PrivacyToken',
  tableName: 'privacy_token',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    caseId: p.bigint('string'),
    rightId: p.bigint('string').nullable(),
    purpose: p.string().$type<'verify' | 'package'>(),
    tokenHash: p.text().unique(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});

/**
 * The one suppression list (src/suppression): keeps an erased, opted-out, complaining or bouncing
 * address from being mailed or tracked again, without keeping the address (a keyed hash; rows
 * from before the keyed scheme are 'sha256-legacy' until the address is seen and they are re-keyed).
 */
export const AddressSuppression = defineEntity({
  name: 'AddressSuppression',
  tableName: 'address_suppression',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    addressHash: p.text(),
    kind: p.string().$type<'erasure' | 'objection' | 'unsubscribe' | 'do-not-track' | 'complaint' | 'hard-bounce' | 'soft-bounces'>(),
    scheme: p.string().$type<'hmac-sha256' | 'sha256-legacy'>().default('hmac-sha256'),
    source: p.text().nullable(),
    caseId: p.bigint('string').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});

/** A reminder (7/3/1 days before) or escalation (overdue) sent once per case. */
export const PrivacyReminder = defineEntity({
  name: 'PrivacyReminder',
  tableName: 'privacy_reminder',
  properties: {
    caseId: p.bigint('string').primary(),
    mark: p.text().primary(),
    sentAt: p.datetime().defaultRaw('now()'),
  },
});

export const privacyEntities = [PrivacyCase, PrivacyRightItem, PrivacyAudit, PrivacyToken, AddressSuppression, PrivacyReminder];
