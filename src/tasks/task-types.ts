import type { TaskState } from '../entities/task.ts';

export type { TaskState };

/** Free text is accepted; these are the kinds the message builders know. */
export type TaskKind =
  | 'new-ticket'
  | 'new-lead'
  | 'triage'
  | 'privacy-case'
  | 'approval'
  | 'mailbox-alert'
  | 'deadline-reminder'
  | (string & {});

export type ChannelKey = 'support' | 'sales' | 'triage' | 'privacy' | 'alerts';

export type TaskButton = 'approve' | 'reject' | 'assign' | 'reply' | 'reclassify' | 'close';

export interface Actor {
  kind: 'slack' | 'cli' | 'system';
  /** Slack user ID, CLI `--as` name, or a system part name. */
  id: string;
  name: string;
}

/** A task as services and builders see it (camelCase of the `task` row). */
export interface TaskRecord {
  id: string;
  publicId: string;
  dedupeKey: string | null;
  kind: TaskKind;
  recordRef: string | null;
  title: string;
  summary: string | null;
  /** Kind-specific facts for the message (subject, requester organisation, due date, right …). */
  details: Record<string, unknown>;
  buttons: TaskButton[];
  channel: string;
  state: TaskState;
  assigneeSlackId: string | null;
  assigneeName: string | null;
  actionKind: string | null;
  actionPayload: Record<string, unknown> | null;
  slackChannelId: string | null;
  slackTs: string | null;
  version: number;
  reason: string | null;
  createdAt: Date;
  updatedAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  decidedById: string | null;
}

export interface TaskAuditRecord {
  id: string;
  taskId: string;
  at: Date;
  actorKind: Actor['kind'];
  actorId: string | null;
  actorName: string | null;
  action: string;
  detail: Record<string, unknown> | null;
}
