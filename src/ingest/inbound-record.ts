import type { ParsedMessage } from './parse-message.ts';
import type { AutomatedMailResult } from './automated-mail.ts';

/** What the parse stage keeps of a message (inbound_message.parsed): enough to file it. */
export interface StoredParse {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  from?: { address: string; name: string };
  to: { address: string; name: string }[];
  cc: { address: string; name: string }[];
  replyTo: { address: string; name: string }[];
  subject: string;
  date?: string;
  text: string;
  html?: string;
  headers: Record<string, string | string[]>;
  contentType: string;
  attachments: { filename?: string; contentType: string; size: number; sha256: string; inline: boolean }[];
  problems: string[];
  automated: AutomatedMailResult;
}

/**
 * PostgreSQL cannot store U+0000 in text or jsonb, and a `=00` in a quoted-printable body is
 * enough to produce one: replace it (and only it) everywhere rather than quarantine the mail.
 */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  }
  return value;
}

export function toStoredParse(p: ParsedMessage, automated: AutomatedMailResult): StoredParse {
  return withoutNul({
    messageId: p.messageId,
    inReplyTo: p.inReplyTo,
    references: p.references,
    from: p.from,
    to: p.to,
    cc: p.cc,
    replyTo: p.replyTo,
    subject: p.subject,
    date: p.date?.toISOString(),
    text: p.text,
    html: p.html,
    headers: p.headers,
    contentType: p.contentType,
    attachments: p.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size, sha256: a.sha256, inline: a.inline })),
    problems: p.problems,
    automated,
  });
}

/** An inbound message as the handler stage sees it. */
export interface InboundForFiling {
  id: string;
  /** The mailbox it was read from (its name); absent for `mailroom import`. Picks that mailbox's default queue and acknowledgement sender. */
  mailbox?: string | null;
  archive: boolean;
  receivedAt: Date;
  parsed: StoredParse;
}
