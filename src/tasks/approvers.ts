import { z } from 'zod';
import type { Actor } from './task-types.ts';

/**
 * Who may act on a task, per action kind (approvals: 'data-export', 'erasure', 'broadcast', …)
 * or per task kind ('new-ticket', 'triage', …). Entries are Slack user IDs (U0123ABC), Slack
 * user names or CLI `--as` names (case-insensitive, a leading '@' ignored), or '*' for anyone.
 * The key '*' is the fallback for keys not listed.
 *
 *   slack:
 *     approvers:
 *       erasure: [U0KARI, kari]
 *       data-export: [U0KARI, U0OLA]
 *       broadcast: ['*']
 *
 * A key that is neither listed nor covered by '*': plain work items (OPEN_BY_DEFAULT_KINDS)
 * are open to anyone who can see them; approvals and every action kind are refused, so a risky
 * action never runs until someone has been named for it.
 */
export const slackApproversSchema = z.record(z.string(), z.array(z.string().min(1))).default({});

export type SlackApprovers = z.infer<typeof slackApproversSchema>;

export const OPEN_BY_DEFAULT_KINDS: readonly string[] = [
  'new-ticket',
  'new-lead',
  'triage',
  'privacy-case',
  'mailbox-alert',
  'deadline-reminder',
];

const norm = (s: string) => s.trim().replace(/^@/, '').toLowerCase();

export function isAllowed(key: string, actor: Pick<Actor, 'id' | 'name' | 'kind'>, approvers: SlackApprovers): boolean {
  if (actor.kind === 'system') return true;
  const list = approvers[key] ?? approvers['*'];
  if (!list) return OPEN_BY_DEFAULT_KINDS.includes(key);
  const who = new Set([actor.id, actor.name].filter((v): v is string => !!v).map(norm));
  return list.some((entry) => entry === '*' || who.has(norm(entry)));
}

/** The allow-list key of a task: its action kind when it has one, else its kind. */
export function allowListKey(task: { kind: string; actionKind: string | null }): string {
  return task.actionKind ?? task.kind;
}
