import { defineEntity, p } from '@mikro-orm/core';

export type TaskState = 'open' | 'approved' | 'rejected' | 'done' | 'expired';
export type TaskActorKind = 'slack' | 'cli' | 'system';

/** A piece of work for staff: posted to Slack through the outbox, decided there or in the CLI. */
export const Task = defineEntity({
  name: 'Task',
  tableName: 'task',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    publicId: p.text().unique(),
    dedupeKey: p.text().nullable(),
    kind: p.text(),
    recordRef: p.text().nullable(),
    title: p.text(),
    summary: p.text().nullable(),
    details: p.json<Record<string, unknown>>(),
    buttons: p.json<string[]>(),
    channel: p.text(),
    state: p.string().$type<TaskState>().default('open'),
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
});

/** Append-only (a database trigger refuses UPDATE, DELETE and TRUNCATE): who did what, when. */
export const TaskAudit = defineEntity({
  name: 'TaskAudit',
  tableName: 'task_audit',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    taskId: p.bigint('string'),
    at: p.datetime().defaultRaw('now()'),
    actorKind: p.string().$type<TaskActorKind>(),
    actorId: p.text().nullable(),
    actorName: p.text().nullable(),
    action: p.text(),
    detail: p.json<Record<string, unknown>>().nullable(),
  },
});
