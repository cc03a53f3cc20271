import { createHash } from 'node:crypto';
import { base32Encode, makeMessageId } from '../threading/thread-token.ts';
import type { TemplateLanguage, TemplateRenderer } from '../templates/render-template.ts';
import { formatDateTime } from '../templates/human-date.ts';
import type { OutgoingEmail } from '../outbox/outgoing-email.ts';
import type { NoticeKind, NoticeStepKind } from '../entities/notices.ts';
import type { NoticesConfig } from './notices-config.ts';
import { formatMailbox } from '../mail/address.ts';

/** What composing a notice mail needs from configuration. */
export interface ComposeDeps {
  notices: NoticesConfig;
  templates: TemplateRenderer;
  secret: string;
  messageIdDomain: string;
  mailFrom: string;
  fromName: string;
  /** Reply-To of this kind of mail (a formatted mailbox), when the configuration sets one. */
  replyTo?: string;
  orgName: string;
}

export function languageOf(contactLanguage: string | null | undefined): TemplateLanguage {
  const l = (contactLanguage ?? '').trim().toLowerCase();
  if (l.startsWith('en')) return 'en';
  if (l === 'nn' || l.startsWith('nn-')) return 'nn';
  return 'nb';
}

/**
 * The Message-ID of one step's mail to one contact: a signed thread token for the notice
 * (replies find the notice), with a nonce derived from step and contact, so the same mail
 * always has the same ID (a rerun cannot make a second message).
 */
export function noticeMessageId(noticeRef: string, stepId: string, contactId: string, deps: Pick<ComposeDeps, 'secret' | 'messageIdDomain'>): string {
  const nonce = base32Encode(createHash('sha256').update(`${stepId}:${contactId}`).digest().subarray(0, 10));
  return makeMessageId({ ticketRef: noticeRef, nonce }, deps.secret, deps.messageIdDomain);
}

/** When a notice's window starts or ends, for people (weekday, date, time) in the recipient's language. */
export function formatTime(d: Date | null, lang: TemplateLanguage, zone: string): string {
  return formatDateTime(d, lang, zone);
}

export function formatOffset(minutes: number, lang: TemplateLanguage): string {
  const [n, unit] = minutes % 1440 === 0 && minutes > 4320 ? [minutes / 1440, 'd'] : minutes % 60 === 0 ? [minutes / 60, 'h'] : [minutes, 'm'];
  const words: Record<string, [string, string, string, string]> = {
    d: ['dag', 'dager', 'day', 'days'],
    h: ['time', 'timer', 'hour', 'hours'],
    m: ['minutt', 'minutter', 'minute', 'minutes'],
  };
  const w = words[unit as string]!;
  return lang === 'en' ? `${n} ${n === 1 ? w[2] : w[3]}` : `${n} ${n === 1 ? w[0] : w[1]}`;
}

export interface ComposeInput {
  notice: {
    ref: string;
    kind: NoticeKind;
    title: string;
    body: string;
    services: string[];
    severity: string | null;
    windowStart: Date | null;
    windowEnd: Date | null;
    template: string | null;
  };
  step: { id: string; step: NoticeStepKind; label: string; body: string | null; offsetMinutes: number | null; updateNumber?: number };
  recipient: { contactId: string; email: string; name: string | null; language: string | null; organisationName: string | null };
  /** Message-IDs of what this contact already got about the notice, oldest first. */
  earlier: string[];
  /** Extra template variables (broadcasts: the period and its notices). */
  extra?: Record<string, unknown>;
}

function templateOf(kind: NoticeKind, template: string | null): string {
  if (kind === 'broadcast') return template ?? 'notice-broadcast';
  return kind === 'incident' ? 'notice-incident' : 'notice-maintenance';
}

/**
 * One notice mail for one recipient, in the recipient's language. Operational mail: plain
 * content, no tracking pixel, no rewritten links, no unsubscribe link (the list is the
 * customer's agreement, managed by staff). Later messages thread under the first.
 */
export function composeNoticeMail(input: ComposeInput, deps: ComposeDeps): OutgoingEmail {
  const { notice, step, recipient } = input;
  const lang = languageOf(recipient.language);
  const zone = deps.notices.timezone;
  const catalogue = new Map(deps.notices.services.map((s) => [s.key, s]));
  const serviceNames = notice.services.map((k) => {
    const s = catalogue.get(k);
    return s ? (lang === 'en' ? s.nameEn ?? s.name : s.name) : k;
  });
  const rendered = deps.templates.render(templateOf(notice.kind, notice.template), lang, {
    ref: notice.ref,
    title: notice.title,
    body: notice.body,
    stepBody: step.body ?? '',
    severity: notice.severity,
    services: serviceNames.join(', '),
    hasServices: serviceNames.length > 0,
    windowStart: formatTime(notice.windowStart, lang, zone),
    windowEnd: formatTime(notice.windowEnd, lang, zone),
    startsIn: step.offsetMinutes ? formatOffset(step.offsetMinutes, lang) : '',
    name: recipient.name,
    organisation: recipient.organisationName,
    orgName: deps.orgName,
    isAnnouncement: step.step === 'announcement',
    isReminder: step.step === 'reminder',
    isStarted: step.step === 'started',
    isCompleted: step.step === 'completed',
    isIncident: step.step === 'incident',
    isUpdate: step.step === 'update',
    isResolved: step.step === 'resolved',
    isCancellation: step.step === 'cancellation',
    updateNumber: step.updateNumber,
    ...input.extra,
  });
  const messageId = noticeMessageId(notice.ref, step.id, recipient.contactId, deps);
  const earlier = input.earlier.filter((id) => id !== messageId);
  return {
    from: formatMailbox({ name: deps.fromName, address: deps.mailFrom }),
    ...(deps.replyTo ? { replyTo: deps.replyTo } : {}),
    to: [formatMailbox({ name: recipient.name ?? '', address: recipient.email })],
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    messageId,
    inReplyTo: earlier.length ? earlier[earlier.length - 1] : undefined,
    references: earlier.length ? earlier : undefined,
    headers: {
      // Machine-sent: out-of-office replies should stay away (RFC 3834).
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'OOF, AutoReply',
      'X-Mailroom-Id': notice.ref,
      'X-Mailroom-Notice-Step': step.label,
    },
  };
}
