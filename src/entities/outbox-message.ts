import { defineEntity, p } from '@mikro-orm/core';

const CHANNELS = ['email', 'slack'] as const;
const STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type OutboxChannel = (typeof CHANNELS)[number];
export type OutboxStatus = (typeof STATUSES)[number];

export const OutboxMessage = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox_message',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    channel: p.enum([...CHANNELS]),
    dedupeKey: p.text().nullable().unique(),
    payload: p.json<Record<string, unknown>>(),
    messageId: p.text().nullable(),
    status: p.enum([...STATUSES]).default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().defaultRaw('now()'),
    claimedBy: p.text().nullable(),
    claimedAt: p.datetime().nullable(),
    inDoubt: p.boolean().default(false),
    lastError: p.text().nullable(),
    result: p.json<Record<string, unknown>>().nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [
    { name: 'outbox_message_due_idx', expression: `create index outbox_message_due_idx on outbox_message (next_attempt_at, id) where status = 'pending'` },
    { name: 'outbox_message_sending_idx', expression: `create index outbox_message_sending_idx on outbox_message (claimed_by) where status = 'sending'` },
    { name: 'outbox_message_status_idx', properties: ['status', 'id'] },
  ],
});
