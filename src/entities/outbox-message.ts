import { defineEntity, p } from '@mikro-orm/core';

export type OutboxChannel = 'email' | 'slack';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';

export const OutboxMessage = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox_message',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    channel: p.string().$type<OutboxChannel>(),
    dedupeKey: p.text().nullable(),
    payload: p.json<Record<string, unknown>>(),
    messageId: p.text().nullable(),
    status: p.string().$type<OutboxStatus>().default('pending'),
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
});
