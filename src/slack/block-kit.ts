/**
 * Block Kit messages for tasks: pure functions from a task (and its recent activity) to
 * `{ text, blocks }`. Short sections and field pairs (stacked on a phone), no tables, every
 * piece of user-supplied text escaped so an email subject cannot ping a channel.
 */
import type { TaskButton, TaskRecord } from '../tasks/task-types.ts';
import { RECORD_ROUTES, TRIAGE_ROUTES } from '../tasks/triage-routes.ts';

export type Block = Record<string, unknown>;
export interface SlackMessageContent {
  /** Notification / fallback text (also what a screen reader or a push notification shows). */
  text: string;
  blocks: Block[];
}

export type TaskView = Pick<
  TaskRecord,
  | 'publicId'
  | 'kind'
  | 'recordRef'
  | 'title'
  | 'summary'
  | 'details'
  | 'buttons'
  | 'state'
  | 'version'
  | 'assigneeName'
  | 'decidedBy'
  | 'decidedAt'
  | 'reason'
  | 'actionKind'
>;

export interface TaskActivity {
  at: Date;
  actorName: string | null;
  action: string;
  detail?: Record<string, unknown> | null;
}

export const ACTION_IDS = {
  approve: 'mailroom_approve',
  reject: 'mailroom_reject',
  assign: 'mailroom_assign',
  reply: 'mailroom_reply',
  close: 'mailroom_close',
  routePrefix: 'mailroom_route_',
} as const;

export const VIEW_IDS = { reject: 'mailroom_reject_modal', reply: 'mailroom_reply_modal' } as const;
export const INPUT_IDS = { reason: 'reason', replyText: 'reply_text' } as const;

/** Escapes what Slack mrkdwn treats as control characters (`<!channel>`, links, mentions). */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

const plain = (text: string, max = 150) => ({ type: 'plain_text', text: cut(text, max), emoji: true });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: cut(text, 3000) });

/** A time every reader sees in their own time zone, with a UTC fallback. */
export function slackTime(d: Date): string {
  const unix = Math.floor(d.getTime() / 1000);
  const fallback = d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  return `<!date^${unix}^{date_short_pretty} at {time}|${fallback}>`;
}

export function buttonValue(task: Pick<TaskView, 'publicId' | 'version'>): string {
  return `${task.publicId}@${task.version}`;
}

export function parseButtonValue(value: string | undefined): { publicId: string; version?: number } | null {
  if (!value) return null;
  const m = /^([A-Za-z0-9-]+)(?:@(\d+))?$/.exec(value);
  if (!m) return null;
  return { publicId: m[1]!, version: m[2] ? Number(m[2]) : undefined };
}

interface KindContent {
  icon: string;
  heading: string;
  /** Fallback text (no personal data beyond what the heading shows). */
  text: string;
  fields: [string, unknown][];
  body?: string | null;
}

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export function newTicketContent(t: TaskView): KindContent {
  const subject = str(t.details.subject) ?? t.title;
  return {
    icon: ':ticket:',
    heading: `New ticket ${t.recordRef ?? ''}`.trim(),
    text: `New ticket ${t.recordRef ?? t.publicId}: ${subject}`,
    fields: [
      ['Subject', subject],
      ['Requester', str(t.details.requesterOrg) ?? str(t.details.requester) ?? 'unknown organisation'],
      ['Language', str(t.details.language)],
    ],
    body: t.summary,
  };
}

export function newLeadContent(t: TaskView): KindContent {
  return {
    icon: ':handshake:',
    heading: `New lead ${t.recordRef ?? ''}`.trim(),
    text: `New lead ${t.recordRef ?? t.publicId}: ${t.title}`,
    fields: [
      ['Subject', str(t.details.subject) ?? t.title],
      ['Company', str(t.details.company) ?? str(t.details.requesterOrg)],
      ['Interest', str(t.details.interest)],
    ],
    body: t.summary,
  };
}

export function triageContent(t: TaskView): KindContent {
  return {
    icon: ':twisted_rightwards_arrows:',
    heading: 'Needs triage',
    text: `Triage ${t.recordRef ?? t.publicId}: ${t.title} — support, sales or spam?`,
    fields: [
      ['Subject', str(t.details.subject) ?? t.title],
      ['From', str(t.details.fromDomain) ?? str(t.details.requesterOrg)],
      ['Record', t.recordRef],
      ['Why', str(t.details.why)],
    ],
    body: t.summary,
  };
}

const RIGHTS: Record<string, string> = {
  access: 'Access (innsyn)',
  rectification: 'Rectification',
  erasure: 'Erasure',
  objection: 'Objection',
  unsubscribe: 'Unsubscribe',
  portability: 'Data portability',
  restriction: 'Restriction',
};

/**
 * A privacy case shows only the case ID, the right requested and the due date: no name, no
 * address, no summary, whatever the caller put in the task.
 */
export function privacyCaseContent(t: TaskView): KindContent {
  const right = str(t.details.right);
  const rightLabel = right ? (RIGHTS[right] ?? right) : 'unspecified';
  const due = str(t.details.dueDate);
  return {
    icon: ':lock:',
    heading: `Privacy case ${t.recordRef ?? ''}`.trim(),
    text: `Privacy case ${t.recordRef ?? t.publicId}: ${rightLabel}${due ? `, due ${due}` : ''}`,
    fields: [
      ['Right requested', rightLabel],
      ['Due', due],
    ],
    body: null,
  };
}

export function approvalContent(t: TaskView): KindContent {
  return {
    icon: ':raised_hand:',
    heading: `Approval needed: ${t.actionKind ?? 'action'}`,
    text: `Approval needed (${t.actionKind ?? 'action'}) for ${t.recordRef ?? t.publicId}: ${t.title}`,
    fields: [
      ['Action', t.actionKind],
      ['Record', t.recordRef],
      ['What', str(t.details.what) ?? t.title],
    ],
    body: t.summary,
  };
}

export function mailboxAlertContent(t: TaskView): KindContent {
  return {
    icon: ':rotating_light:',
    heading: 'Mailbox alert',
    text: `Mailbox alert: ${t.title}`,
    fields: [
      ['Mailbox', str(t.details.mailbox)],
      ['Problem', str(t.details.problem) ?? t.title],
      ['Since', str(t.details.since)],
    ],
    body: t.summary,
  };
}

export function deadlineReminderContent(t: TaskView): KindContent {
  const due = str(t.details.dueDate);
  return {
    icon: ':alarm_clock:',
    heading: `Deadline ${t.recordRef ?? ''}`.trim(),
    text: `Deadline for ${t.recordRef ?? t.publicId}${due ? ` on ${due}` : ''}: ${t.title}`,
    fields: [
      ['Record', t.recordRef],
      ['Due', due],
      ['Days left', str(t.details.daysLeft)],
    ],
    body: t.kind === 'deadline-reminder' && str(t.details.privacy) ? null : t.summary,
  };
}

function genericContent(t: TaskView): KindContent {
  return { icon: ':memo:', heading: t.title, text: `${t.title} (${t.publicId})`, fields: [['Record', t.recordRef]], body: t.summary };
}

export function kindContent(t: TaskView): KindContent {
  switch (t.kind) {
    case 'new-ticket':
      return newTicketContent(t);
    case 'new-lead':
      return newLeadContent(t);
    case 'triage':
      return triageContent(t);
    case 'privacy-case':
      return privacyCaseContent(t);
    case 'approval':
      return approvalContent(t);
    case 'mailbox-alert':
      return mailboxAlertContent(t);
    case 'deadline-reminder':
      return deadlineReminderContent(t);
    default:
      return t.actionKind ? approvalContent(t) : genericContent(t);
  }
}

const routeLabel = (r: string) => r[0]!.toUpperCase() + r.slice(1);

function button(label: string, actionId: string, value: string, style?: 'primary' | 'danger', confirm?: Block): Block {
  return { type: 'button', text: plain(label, 75), action_id: actionId, value, ...(style ? { style } : {}), ...(confirm ? { confirm } : {}) };
}

export function actionButtons(t: TaskView): Block[] {
  const value = buttonValue(t);
  const out: Block[] = [];
  const order: TaskButton[] = ['approve', 'reject', 'assign', 'reply', 'close', 'reclassify'];
  for (const b of order.filter((x) => t.buttons.includes(x))) {
    switch (b) {
      case 'approve':
        out.push(
          button('Approve', ACTION_IDS.approve, value, 'primary', {
            title: plain('Approve?', 100),
            text: mrkdwn(`This runs *${esc(t.actionKind ?? 'the action')}* for ${esc(t.recordRef ?? t.publicId)}.`),
            confirm: plain('Approve', 30),
            deny: plain('Cancel', 30),
          }),
        );
        break;
      case 'reject':
        out.push(button('Reject', ACTION_IDS.reject, value, 'danger'));
        break;
      case 'assign':
        out.push(button(t.assigneeName ? 'Take over' : 'Assign to me', ACTION_IDS.assign, value));
        break;
      case 'reply':
        out.push(button('Reply', ACTION_IDS.reply, value, 'primary'));
        break;
      case 'close':
        out.push(button('Close', ACTION_IDS.close, value));
        break;
      case 'reclassify': {
        // A triage item can go to every triage route; a ticket or lead offers the other queue
        // and spam (reclassify-record.ts files those).
        const here = t.kind === 'new-ticket' ? 'support' : t.kind === 'new-lead' ? 'sales' : undefined;
        const routes = here ? RECORD_ROUTES.filter((r) => r !== here) : TRIAGE_ROUTES;
        for (const r of routes) out.push(button(routeLabel(r), ACTION_IDS.routePrefix + r, value, r === 'spam' ? 'danger' : undefined));
        break;
      }
    }
  }
  return out;
}

const ACTIVITY_WORD: Record<string, string> = {
  assigned: 'Assigned to',
  replied: 'Replied by',
  approved: 'Approved by',
  rejected: 'Rejected by',
  done: 'Closed by',
  reclassified: 'Reclassified by',
  expired: 'Expired',
};

/** "Approved by Kari, today at 12:03" and friends. */
export function decisionLine(t: TaskView, activity: TaskActivity[] = []): string | null {
  if (t.state === 'open') return null;
  const by = esc(t.decidedBy ?? 'someone');
  const when = t.decidedAt ? `, ${slackTime(t.decidedAt)}` : '';
  switch (t.state) {
    case 'approved':
      return `:white_check_mark: *Approved* by ${by}${when}`;
    case 'rejected':
      return `:x: *Rejected* by ${by}${when}${t.reason ? `\n>${esc(cut(t.reason, 500)).replace(/\n/g, '\n>')}` : ''}`;
    case 'done': {
      const route = [...activity].reverse().find((a) => a.action === 'reclassified')?.detail?.route;
      if (route) return `:twisted_rightwards_arrows: *Sent to ${esc(route)}* by ${by}${when}`;
      // Closed with its record (case completed, item resolved): the reason says so.
      return `:heavy_check_mark: *Closed* by ${by}${when}${t.reason ? `\n>${esc(cut(t.reason, 500)).replace(/\n/g, '\n>')}` : ''}`;
    }
    case 'expired':
      return `:hourglass: *Expired*${when}`;
    default:
      return `*${esc(t.state)}* by ${by}${when}`;
  }
}

/**
 * The message for a task in its current state: open tasks carry their buttons; decided ones
 * show what was done and by whom, and have none.
 */
export function taskMessage(t: TaskView, activity: TaskActivity[] = []): SlackMessageContent {
  const c = kindContent(t);
  const blocks: Block[] = [{ type: 'header', text: plain(`${c.heading}`) }];
  const fields = c.fields.filter(([, v]) => str(v) !== undefined).map(([k, v]) => mrkdwn(`*${esc(k)}*\n${esc(cut(String(v), 300))}`));
  if (fields.length) blocks.push({ type: 'section', fields: fields.slice(0, 10) });
  if (c.body) blocks.push({ type: 'section', text: mrkdwn(esc(cut(c.body, 600))) });

  const decided = decisionLine(t, activity);
  if (decided) blocks.push({ type: 'section', text: mrkdwn(decided) });

  const lines: string[] = [];
  if (t.assigneeName) lines.push(`:bust_in_silhouette: ${esc(t.assigneeName)}`);
  for (const a of activity.filter((x) => x.action === 'replied').slice(-2)) {
    lines.push(`:speech_balloon: Replied by ${esc(a.actorName ?? 'someone')}, ${slackTime(a.at)}`);
  }
  lines.push(`${c.icon} ${esc(t.publicId)}`);
  blocks.push({ type: 'context', elements: [mrkdwn(lines.join('  ·  '))] });

  if (t.state === 'open') {
    const buttons = actionButtons(t);
    if (buttons.length) blocks.push({ type: 'actions', block_id: `task_${t.publicId}`, elements: buttons });
  }
  const status = decided ? ` — ${t.state}${t.decidedBy ? ` by ${t.decidedBy}` : ''}` : '';
  return { text: cut(c.text + status, 300), blocks };
}

/** The explicit "decided" version of a message (same as taskMessage for a decided task). */
export function decidedMessage(t: TaskView, activity: TaskActivity[] = []): SlackMessageContent {
  if (t.state === 'open') throw new Error('decidedMessage needs a decided task');
  return taskMessage(t, activity);
}

export interface ModalMeta {
  publicId: string;
  version: number;
}

export function parseModalMeta(s: string | undefined): ModalMeta | null {
  try {
    const v = JSON.parse(s ?? '') as { t?: unknown; v?: unknown };
    return typeof v.t === 'string' && typeof v.v === 'number' ? { publicId: v.t, version: v.v } : null;
  } catch {
    return null;
  }
}

/** Reject asks why: a modal with one required plain-text input. */
export function rejectModal(t: Pick<TaskView, 'publicId' | 'version' | 'recordRef' | 'actionKind' | 'title'>): Block {
  return {
    type: 'modal',
    callback_id: VIEW_IDS.reject,
    private_metadata: JSON.stringify({ t: t.publicId, v: t.version }),
    title: plain(cut(`Reject ${t.publicId}`, 24), 24),
    submit: plain('Reject', 24),
    close: plain('Cancel', 24),
    blocks: [
      { type: 'section', text: mrkdwn(`*${esc(t.actionKind ?? t.title)}* for ${esc(t.recordRef ?? t.publicId)}`) },
      {
        type: 'input',
        block_id: INPUT_IDS.reason,
        label: plain('Why is it rejected?', 2000),
        element: { type: 'plain_text_input', action_id: INPUT_IDS.reason, multiline: true, min_length: 3, max_length: 1000 },
      },
    ],
  };
}

/** Reply writes the email answer: a multiline input, sent as a threaded email via the outbox. */
export function replyModal(t: Pick<TaskView, 'publicId' | 'version' | 'recordRef' | 'title' | 'details'>): Block {
  const subject = str(t.details.subject) ?? t.title;
  return {
    type: 'modal',
    callback_id: VIEW_IDS.reply,
    private_metadata: JSON.stringify({ t: t.publicId, v: t.version }),
    title: plain(cut(`Reply ${t.recordRef ?? t.publicId}`, 24), 24),
    submit: plain('Send', 24),
    close: plain('Cancel', 24),
    blocks: [
      { type: 'section', text: mrkdwn(`Re: ${esc(cut(subject, 200))}`) },
      {
        type: 'input',
        block_id: INPUT_IDS.replyText,
        label: plain('Your reply (sent by email to the requester)', 2000),
        element: { type: 'plain_text_input', action_id: INPUT_IDS.replyText, multiline: true, min_length: 1, max_length: 3000 },
      },
    ],
  };
}

export function helpText(): string {
  return [
    '*Mailroom*',
    '`/mailroom <ID>` — status of a ticket, lead, privacy case or task (e.g. `SUP-000001`, `T-000012`)',
    '`/mailroom help` — this help',
    `Buttons on task messages: Approve / Reject (asks for a reason), Assign to me, Reply (email), Close, and ${TRIAGE_ROUTES.map(routeLabel).join(' / ')} for triage.`,
  ].join('\n');
}

/** The status of a task as a short mrkdwn text (slash command, CLI). */
export function taskStatusText(t: TaskView): string {
  const c = kindContent(t);
  const parts = [`*${esc(t.publicId)}* ${esc(c.text)}`, `State: *${esc(t.state)}*`];
  if (t.assigneeName) parts.push(`Assignee: ${esc(t.assigneeName)}`);
  const d = decisionLine(t);
  if (d) parts.push(d);
  return parts.join('\n');
}
