import { defineEntity, p } from '@mikro-orm/core';
import { InboundMessage } from './inbound.ts';
import { references } from './references.ts';
import { Task } from './task.ts';

const CASE_STATES = ['received', 'awaiting_verification', 'needs_information', 'verified', 'in_progress', 'completed', 'denied', 'cancelled'] as const;
const RIGHT_STATES = ['received', 'pending_approval', 'approved', 'executed', 'completed', 'denied', 'cancelled'] as const;
export type PrivacyCaseState = (typeof CASE_STATES)[number];
export type PrivacyRightState = (typeof RIGHT_STATES)[number];

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
    inboundMessage: () => references(InboundMessage).nullable().unique(),
    receivedAt: p.datetime(),
    dueAt: p.datetime(),
    dueDate: p.text(),
    extendedDueAt: p.datetime().nullable(),
    extensionReason: p.text().nullable(),
    state: p.enum([...CASE_STATES]).default('received'),
    language: p.text().default('nb'),
    subjectEmail: p.text(),
    // No foreign key (migration 0008): an erasure may delete the contact; the case is kept.
    subjectContactId: p.bigint('string').nullable(),
    senderOnFile: p.boolean().default(false),
    dmarc: p.text().nullable(),
    identity: p.enum(['verified', 'pending', 'failed', 'unknown']).default('pending'),
    verifiedAt: p.datetime().nullable(),
    closedAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [
    { name: 'privacy_case_open_idx', properties: ['state', 'dueAt'] },
    { name: 'privacy_case_subject_idx', properties: ['subjectEmail'] },
  ],
});

/** One right asked for in a case; each is tracked (and approved) on its own. */
export const PrivacyRightItem = defineEntity({
  name: 'PrivacyRightItem',
  tableName: 'privacy_right',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    case: () => references(PrivacyCase),
    right: p.enum(['access', 'rectification', 'completion', 'erasure', 'objection', 'unsubscribe', 'do-not-track', 'unspecified']),
    state: p.enum([...RIGHT_STATES]).default('received'),
    task: () => references(Task).nullable(),
    detail: p.json<Record<string, unknown>>().nullable(),
    outcome: p.json<Record<string, unknown>>().nullable(),
    reason: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ properties: ['case', 'right'] }],
});

/** Append-only (a trigger, migration 0008, refuses UPDATE, DELETE, TRUNCATE): every step and who took it. */
export const PrivacyAudit = defineEntity({
  name: 'PrivacyAudit',
  tableName: 'privacy_audit',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    case: () => references(PrivacyCase),
    right: () => references(PrivacyRightItem).nullable(),
    at: p.datetime().defaultRaw('now()'),
    actorKind: p.enum(['system', 'slack', 'cli', 'subject']),
    actorId: p.text().nullable(),
    actorName: p.text().nullable(),
    action: p.text(),
    detail: p.json<Record<string, unknown>>().nullable(),
  },
  indexes: [{ name: 'privacy_audit_case_idx', properties: ['case', 'id'] }],
});

/** One-time, expiring link tokens; only the SHA-256 of the token is stored. */
export const PrivacyToken = defineEntity({
  name: 'PrivacyToken',
  tableName: 'privacy_token',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    case: () => references(PrivacyCase),
    right: () => references(PrivacyRightItem).nullable(),
    purpose: p.enum(['verify', 'package']),
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
    kind: p.enum(['erasure', 'objection', 'unsubscribe', 'do-not-track', 'complaint', 'hard-bounce', 'soft-bounces']),
    scheme: p.enum(['hmac-sha256', 'sha256-legacy']).default('hmac-sha256'),
    source: p.text().nullable(),
    // Named before migration 0014 renamed privacy_suppression to this table; renaming it buys nothing.
    case: () => references(PrivacyCase).nullable().foreignKeyName('privacy_suppression_case_id_fkey'),
    createdAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ properties: ['addressHash', 'kind'] }],
  indexes: [
    // The daemon re-keys legacy rows as it sees their addresses; this finds the few left.
    { name: 'address_suppression_legacy_idx', expression: `create index address_suppression_legacy_idx on address_suppression (id) where scheme = 'sha256-legacy'` },
  ],
});

/** A reminder (7/3/1 days before) or escalation (overdue) sent once per case. */
export const PrivacyReminder = defineEntity({
  name: 'PrivacyReminder',
  tableName: 'privacy_reminder',
  properties: {
    case: () => references(PrivacyCase).primary(),
    mark: p.text().primary(),
    sentAt: p.datetime().defaultRaw('now()'),
  },
});

export const privacyEntities = [PrivacyCase, PrivacyRightItem, PrivacyAudit, PrivacyToken, AddressSuppression, PrivacyReminder];
