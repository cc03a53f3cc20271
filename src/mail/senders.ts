/**
 * Who each kind of outgoing mail is from. MAIL_FROM is the default sender (its display name,
 * or `mail.fromName` when it has none); `mail.senders.<kind>` in config/mailroom.yaml gives a
 * queue its own From and Reply-To. A per-queue From without a display name keeps the default's.
 */
import { z } from 'zod';
import { formatMailbox, mailboxSetting, type Mailbox, type Sender } from './address.ts';

export const SENDER_KINDS = ['support', 'sales', 'privacy', 'notices', 'newsletter'] as const;
export type SenderKind = (typeof SENDER_KINDS)[number];
export type Senders = Record<SenderKind, Sender>;

const senderSetting = z.object({ from: mailboxSetting.optional(), replyTo: mailboxSetting.optional() }).strict();

/** `mail.senders`: acknowledgements and staff replies of tickets (support) and leads (sales), privacy mail, notices, newsletters. */
export const sendersSettingSchema = z
  .object(Object.fromEntries(SENDER_KINDS.map((k) => [k, senderSetting.optional()])) as Record<SenderKind, z.ZodOptional<typeof senderSetting>>)
  .strict()
  .prefault({});

export function resolveSenders(
  mailFrom: Mailbox,
  mail: { fromName: string; replyTo?: Mailbox; senders: Partial<Record<SenderKind, { from?: Mailbox; replyTo?: Mailbox } | undefined>> },
): Senders {
  const base: Sender = { from: { name: mailFrom.name || mail.fromName, address: mailFrom.address }, ...(mail.replyTo ? { replyTo: mail.replyTo } : {}) };
  const out = {} as Senders;
  for (const kind of SENDER_KINDS) {
    const s = mail.senders[kind];
    const from = s?.from ? { name: s.from.name || base.from.name, address: s.from.address } : base.from;
    const replyTo = s?.replyTo ?? base.replyTo;
    out[kind] = { from, ...(replyTo ? { replyTo } : {}) };
  }
  return out;
}

/** Every address we send from: our own mail coming back is never a customer's. */
export function senderAddresses(senders: Partial<Senders>): string[] {
  return [...new Set(Object.values(senders).flatMap((s) => !s ? [] : [s.from.address, ...(s.replyTo ? [s.replyTo.address] : [])]))];
}

/** The sender of a kind, from deps that carry a default sender and maybe per-queue ones. */
export function senderOf(deps: { mailFrom: string; fromName: string; senders?: Partial<Senders> }, kind: SenderKind): Sender {
  return deps.senders?.[kind] ?? { from: { name: deps.fromName, address: deps.mailFrom } };
}

/** The sender fields of a concern's deps (privacy, notices, newsletter): bare address, name, formatted Reply-To. */
export function senderDeps(s: Sender): { mailFrom: string; fromName: string; replyTo?: string } {
  return { mailFrom: s.from.address, fromName: s.from.name, ...(s.replyTo ? { replyTo: formatMailbox(s.replyTo) } : {}) };
}
