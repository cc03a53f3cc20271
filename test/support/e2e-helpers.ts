/**
 * Small helpers shared by the end-to-end filing tests (filing-e2e, filing-concurrency,
 * ack-loop, threading-db, corpus-pipeline): bounded waits with a message, SQL against a
 * test database, the server-side state of a Dovecot mailbox, and reading what arrived at
 * the SMTP peer.
 */
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Orm } from '../../src/db/orm.ts';
import { sqlOf } from '../../src/db/sql.ts';
import type { DovecotInstance } from './dovecot.ts';
import type { ReceivedMessage } from './smtp-peer.ts';
import { rmSync } from 'node:fs';
import { cleanupDaemonEnv } from './daemon-process.ts';

/** SQL on a fresh fork of the ORM's entity manager. */
export function sqlFor(orm: Orm) {
  return sqlOf(orm.em.fork());
}

/** `select count(*)` helper: the first column of the first row, as a number. */
export async function countOf(orm: Orm, query: string, params: unknown[] = []): Promise<number> {
  const [row] = await sqlFor(orm)<Record<string, string>>(query, params);
  return row ? Number(Object.values(row)[0]) : 0;
}

/**
 * Polls `check` until it returns something truthy (returned) or `timeoutMs` passes; the
 * error names `what` and, when given, the last state `describe()` reports.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | false | null | undefined> | T | false | null | undefined,
  opts: { timeoutMs?: number; everyMs?: number; describe?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) {
      const state = opts.describe ? ` (${await opts.describe()})` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what}${state}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface MailboxEntry {
  uid: number;
  flags: string[];
  messageId?: string;
  subject?: string;
}

/** Every message in `mailbox` with its flags, read with a separate client (nothing is changed). */
export async function mailboxState(dovecot: DovecotInstance, mailbox = 'INBOX', user?: string): Promise<MailboxEntry[]> {
  const client = new ImapFlow({ ...dovecot.clientOptions(user), logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const out: MailboxEntry[] = [];
      const status = client.mailbox;
      if (status && typeof status === 'object' && status.exists === 0) return out;
      for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true })) {
        out.push({ uid: m.uid, flags: [...(m.flags ?? [])], messageId: m.envelope?.messageId, subject: m.envelope?.subject });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

export interface ReceivedAck {
  to: string[];
  subject: string;
  messageId?: string;
  inReplyTo?: string;
  autoSubmitted?: string;
  text: string;
  parsed: ParsedMail;
  raw: Buffer;
}

export async function parseReceived(m: ReceivedMessage): Promise<ReceivedAck> {
  const parsed = await simpleParser(m.raw);
  const auto = parsed.headers.get('auto-submitted');
  return {
    to: m.envelope.to,
    subject: parsed.subject ?? '',
    messageId: parsed.messageId,
    inReplyTo: parsed.inReplyTo,
    autoSubmitted: typeof auto === 'string' ? auto : undefined,
    text: parsed.text ?? '',
    parsed,
    raw: m.raw,
  };
}

/** The language of an acknowledgement, from its subject (the templates in src/templates). */
export function ackLanguage(subject: string): 'nb' | 'nn' | 'en' | undefined {
  if (/^(Vi har mottatt saken din|Takk for henvendelsen) \[/.test(subject)) return 'nb';
  if (/^(Vi har motteke saka di|Takk for førespurnaden) \[/.test(subject)) return 'nn';
  if (/^(We have received your request|Thank you for your enquiry) \[/.test(subject)) return 'en';
  return undefined;
}

/** The record ID an acknowledgement names in its subject. */
export function ackRef(subject: string): string | undefined {
  return /\[([A-Z]+-\d+)\]/.exec(subject)?.[1];
}

/** Runs every cleanup, even when some fail; reports the first failure afterwards. */
export async function cleanupAll(...steps: Array<(() => Promise<unknown> | unknown) | undefined>): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    if (!step) continue;
    try {
      await step();
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/**
 * Tears down what an end-to-end test started, in the order that loses nothing: the daemon first
 * (it still talks to the rest), then its peers (Slack fake, SMTP peer, Dovecot…), the database,
 * the daemon's data directory and the test's own folders. Every step runs; the first error is
 * thrown.
 */
export function stopStack(o: {
  daemon?: { stop(): Promise<unknown> };
  peers?: Array<{ stop(): Promise<unknown> | unknown } | undefined>;
  db?: { drop(): Promise<unknown> };
  env?: Record<string, string>;
  dirs?: Array<string | undefined>;
}): Promise<void> {
  return cleanupAll(
    () => o.daemon?.stop(),
    ...(o.peers ?? []).map((p) => () => p?.stop()),
    () => o.db?.drop(),
    () => o.env && cleanupDaemonEnv(o.env),
    ...(o.dirs ?? []).map((d) => () => d && rmSync(d, { recursive: true, force: true })),
  );
}
