/**
 * Email addresses and mailboxes, in one place: what counts as an address, how a sender setting
 * (`InfraComfort <post@infracomfort.example>`) is read, and how a mailbox is written back into a
 * header. Header syntax (display names, quoting, comments, groups) is nodemailer's addressparser,
 * the same parser nodemailer uses when it sends, so what we accept is what goes out.
 */
import { createHmac } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';
import { localPartOf, normaliseAddress } from '../threading/normalise-address.ts';

export interface Mailbox {
  /** Display name, '' when there is none. */
  name: string;
  address: string;
}

/**
 * The addr-spec browsers accept for `<input type=email>` (WHATWG: dot-atom local part, host name
 * labels), widened to non-ASCII letters (RFC 6531 local parts, IDN domains such as blåbær.no).
 * A single-label domain (`mailroom@localhost`) passes; callers that need an address someone
 * outside can receive ask for `dottedDomain`.
 */
const ADDR_SPEC = /^[\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)*$/u;

export function isEmailAddress(address: string, o: { dottedDomain?: boolean } = {}): boolean {
  if (address.length > 254 || !ADDR_SPEC.test(address)) return false;
  return !o.dottedDomain || address.slice(address.indexOf('@') + 1).includes('.');
}

/**
 * One RFC 5322 mailbox: a bare address, `Name <address>`, `"Name, with comma" <address>`.
 * Lists, groups and anything that is not exactly one valid address are refused with a reason.
 */
export function parseMailbox(value: string): { ok: true; mailbox: Mailbox } | { ok: false; reason: string } {
  const text = value.trim();
  if (!text) return { ok: false, reason: 'is empty' };
  if (/[\r\n]/.test(text)) return { ok: false, reason: 'must be one line' };
  const parsed = addressparser(text);
  if (parsed.length !== 1) return { ok: false, reason: 'must be one mailbox, not a list' };
  const one = parsed[0]!;
  if ('group' in one) return { ok: false, reason: 'must be one mailbox, not a group' };
  if (!one.address || !isEmailAddress(one.address)) return { ok: false, reason: 'must be an email address, optionally with a display name ("Name <address@example.com>")' };
  return { ok: true, mailbox: { name: one.name.trim(), address: one.address } };
}

/** RFC 5322 `atext` and spaces: a display name that needs no quotes. */
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/;

/**
 * A mailbox as a header value. Names with specials (`,` `.` `"` …) are quoted; non-ASCII names
 * are left as they are for nodemailer, which encodes them (RFC 2047) when it builds the message.
 */
export function formatMailbox(m: Mailbox): string {
  const name = m.name.replace(/[\r\n]+/g, ' ').trim();
  if (!name) return m.address;
  const phrase = PLAIN_PHRASE.test(name) && !/^\s|\s$/.test(name) ? name : `"${name.replace(/[\\"]/g, '\\$&')}"`;
  return `${phrase} <${m.address}>`;
}

/** A config value that is one mailbox; a bad one is refused with a message (zod names the key). */
export const mailboxSetting = z.string().transform((value, ctx): Mailbox => {
  const r = parseMailbox(value);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.reason });
    return z.NEVER;
  }
  return r.mailbox;
});

/** Who a kind of outgoing mail is from, and where answers to it should go. */
export interface Sender {
  from: Mailbox;
  replyTo?: Mailbox;
}

/** The From and Reply-To header values of a sender (Reply-To only when one is set). */
export function senderHeaders(s: Sender): { from: string; replyTo?: string } {
  return { from: formatMailbox(s.from), ...(s.replyTo ? { replyTo: formatMailbox(s.replyTo) } : {}) };
}

// Local parts of mailboxes no person reads. Matched on the local part without its
// +tag; a separator-delimited "noreply" anywhere counts ("shop-noreply@", "noreply.eu@").
const NO_REPLY_LOCAL = [
  /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|mailer[-_.]?daemon|post[-_.]?master|bounces?|notifications?|notify|auto[-_.]?reply|autoresponder|listserv|majordomo|daemon)(?:[-_.].*)?$/,
  /(?:^|[-_.])(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?)(?:[-_.]|$)/,
  /^owner-/,
  /-(?:request|bounces?|owner)$/,
];

export function isNoReplyAddress(address: string | null | undefined): boolean {
  const local = localPartOf(address);
  if (!local) return false;
  const bare = local.split('+')[0];
  return NO_REPLY_LOCAL.some((re) => re.test(bare));
}

/** A keyed hash of an address for suppression lists: recognises it again, cannot be reversed. */
export function addressHash(address: string, secret: string): string {
  return createHmac('sha256', secret).update(normaliseAddress(address), 'utf8').digest('hex');
}
