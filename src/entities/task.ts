import { defineEntity, p } from '@mikro-orm/core';
import { references } from './references.ts';

const TASK_STATES = ['open', 'approved', 'rejected', 'done', 'expired'] as const;
const ACTOR_KINDS = ['slack', 'cli', 'system'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export type TaskActorKind = (typeof ACTOR_KINDS)[number];

/** A piece of work for staff: posted to Slack through the outbox, decided there or in the CLI. */
export const Task = defineEntity({
  name: 'Task',
  tableName: 'task',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    // T-000001 from task_public_seq (migration 0004), written as PostgreSQL prints it back.
    publicId: p.text().unique().defaultRaw(`('T-'::text || lpad((nextval('task_public_seq'::regclass))::text, 6, '0'::text))`),
    dedupeKey: p.text().nullable().unique(),
    kind: p.text(),
    recordRef: p.text().nullable(),
    title: p.text(),
    summary: p.text().nullable(),
    details: p.json<Record<string, unknown>>().defaultRaw(`'{}'`),
    buttons: p.json<string[]>().default([]),
    channel: p.text(),
    state: p.enum([...TASK_STATES]).default('open'),
    assigneeSlackId: p.text().nullable(),
    assigneeName: p.text().nullable(),
    actionKind: p.text().nullable(),
    actionPayload: p.json<Record<string, unknown>>().nullable(),
    slackChannelId: p.text().nullable(),
    slackTs: p.text().nullable(),
    version: p.integer().default(1),
    reason: p.text().nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
    decidedAt: p.datetime().nullable(),
    decidedBy: p.text().nullable(),
    decidedById: p.text().nullable(),
  },
  indexes: [
    { name: 'task_state_idx', properties: ['state', 'id'] },
    { name: 'task_record_idx', properties: ['recordRef', 'id'] },
  ],
});

/**
 * Append-only: a trigger (migration 0004, outside what entities describe) refuses UPDATE, DELETE
 * and TRUNCATE. Who did what, when.
 */
export const TaskAudit = defineEntity({
  name: 'TaskAudit',
  tableName: 'task_audit',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    task: () => references(Task),
    at: p.datetime().defaultRaw('now()'),
    actorKind: p.enum([...ACTOR_KINDS]),
    actorId: p.text().nullable(),
    actorName: p.text().nullable(),
    action: p.text(),
    detail: p.json<Record<string, unknown>>().nullable(),
  },
  indexes: [{ name: 'task_audit_task_idx', properties: ['task', 'id'] }],
});
