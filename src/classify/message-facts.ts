/**
 * The minimal, parser-independent view of one inbound message that the pure filing
 * decisions (classify, threading, acknowledgement policy) work on. Keeping it small and
 * plain lets those decisions be unit-tested from literals, without MIME or a database.
 */
import type { AddressObject, EmailAddress, ParsedMail } from 'mailparser';
import type { StoredParse } from '../ingest/inbound-record.ts';

export interface MailAddress {
  address: string;
  name?: string;
}

export interface AttachmentFacts {
  filename?: string;
  contentType: string;
  size?: number;
}

export interface MessageFacts {
  messageId?: string;
  inReplyTo?: string;
  /** Message-IDs from the References header, oldest first, as written (with or without <>). */
  references: string[];
  from: MailAddress;
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
  /** Plain text, already decoded. May be empty for HTML-only mail (see `bodyText`). */
  text: string;
  html?: string;
  date?: Date;
  /** Header names lower-cased; repeated headers as arrays. */
  headers: Record<string, string | string[]>;
  /** Optional: lets rules look at e.g. an attached order PDF. */
  attachments?: AttachmentFacts[];
}

/** All values of a header, case-insensitive name. */
export function headerValues(facts: Pick<MessageFacts, 'headers'>, name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (const [key, value] of Object.entries(facts.headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
  }
  return out;
}

/**
 * The text to reason about: the plain part, or a rough rendering of the HTML part when
 * the sender only sent HTML (fixture 09). Rough is enough for keyword rules and language
 * detection; what is stored on the ticket is the parser's business.
 */
export function bodyText(facts: Pick<MessageFacts, 'text' | 'html'>): string {
  if (facts.text && facts.text.trim()) return facts.text;
  if (facts.html) return htmlToText(facts.html);
  return '';
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  aelig: 'æ',
  AElig: 'Æ',
  oslash: 'ø',
  Oslash: 'Ø',
  aring: 'å',
  Aring: 'Å',
};

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|blockquote)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&([a-z]+);/gi, (m, e: string) => ENTITIES[e] ?? m)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function flatten(list: EmailAddress[] | undefined, out: MailAddress[] = []): MailAddress[] {
  for (const a of list ?? []) {
    if (a.group) flatten(a.group, out);
    else if (a.address) out.push(a.name ? { address: a.address, name: a.name } : { address: a.address });
  }
  return out;
}

function addresses(obj: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!obj) return [];
  const list = Array.isArray(obj) ? obj : [obj];
  const out: MailAddress[] = [];
  for (const o of list) flatten(o.value, out);
  return out;
}

function splitIds(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const joined = Array.isArray(value) ? value.join(' ') : value;
  const ids = joined.match(/<[^<>]+>/g);
  if (ids) return ids;
  return joined.split(/\s+/).filter(Boolean);
}

/**
 * Adapter from mailparser's `simpleParser` result. Header values are taken from the raw
 * header lines (unfolded) so rules see what the sender wrote, not mailparser's
 * structured interpretation.
 */
export function factsFromParsedMail(mail: ParsedMail): MessageFacts {
  const headers: Record<string, string | string[]> = {};
  for (const { key, line } of mail.headerLines ?? []) {
    const colon = line.indexOf(':');
    const value = (colon >= 0 ? line.slice(colon + 1) : line).replace(/\r?\n[ \t]+/g, ' ').trim();
    const k = key.toLowerCase();
    const prev = headers[k];
    if (prev === undefined) headers[k] = value;
    else headers[k] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const from = addresses(mail.from)[0] ?? { address: '' };
  return {
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: splitIds(mail.references),
    from,
    replyTo: addresses(mail.replyTo),
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    html: mail.html === false ? undefined : mail.html,
    date: mail.date,
    headers,
    attachments: mail.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
    })),
  };
}

/** The facts of a message as the parse stage stored it (inbound_message.parsed). */
export function factsOf(p: StoredParse): MessageFacts {
  return {
    messageId: p.messageId,
    inReplyTo: p.inReplyTo,
    references: p.references ?? [],
    from: p.from ?? { address: '' },
    replyTo: p.replyTo ?? [],
    to: p.to ?? [],
    cc: p.cc ?? [],
    subject: p.subject ?? '',
    text: p.text ?? '',
    html: p.html,
    date: p.date ? new Date(p.date) : undefined,
    headers: p.headers ?? {},
    attachments: p.attachments,
  };
}
