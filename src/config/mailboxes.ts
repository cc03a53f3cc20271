/**
 * `mailboxes:` in config/mailroom.yaml: the shared addresses Mailroom reads, each an IMAP account
 * or a folder of one. Each has its own name, which keys its cursor, its stored messages (and so
 * its quarantine), its leadership lock and its metrics; its own default queue and
 * acknowledgement sender; and its own after-filing action.
 *
 * Secrets never go in the YAML: a mailbox names the environment variable that holds its password
 * (`passwordEnv`) or its OAuth refresh token. The single-mailbox variables (IMAP_HOST, IMAP_USER,
 * IMAP_PASSWORD, IMAP_MAILBOX …) remain the shorthand for one mailbox, and are the defaults a
 * `mailboxes:` entry falls back to for what it does not say (the same account, another folder).
 */
import { z } from 'zod';
import { mailboxSetting, type Mailbox } from '../mail/address.ts';
import { DEFAULT_QUEUE_CHOICES } from '../classify/routing-rules.ts';

type DefaultQueue = (typeof DEFAULT_QUEUE_CHOICES)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z.string().regex(ENV_NAME, 'must be the NAME of an environment variable (the secret itself never goes in this file)');

/** An RFC 5322 mailbox (`"Name" <addr@domain>` or a bare address), read by the one parser senders use. */
const rfc5322Mailbox = mailboxSetting;

export const mailboxEntrySchema = z
  .object({
    /** Keys the cursor, stored messages, lock and metrics label: keep it stable once mail was read. */
    name: z.string().regex(/^[\w.@+-]{1,63}$/, 'must be 1-63 letters, digits or . _ @ + -'),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    secure: z.boolean().optional(),
    user: z.string().min(1).optional(),
    /** The environment variable holding this account's password. */
    passwordEnv: envName.optional(),
    /** XOAUTH2 instead of a password; the secrets again by variable name. */
    oauth: z
      .object({
        tokenUrl: z.url({ protocol: /^https?$/, error: 'must be a URL (http or https)' }),
        clientId: z.string().min(1),
        clientSecretEnv: envName.optional(),
        refreshTokenEnv: envName,
      })
      .strict()
      .optional(),
    /** The folder read (default INBOX). */
    folder: z.string().min(1).default('INBOX'),
    /** Where unclaimed human mail to this address goes; default routing.defaultQueue. */
    defaultQueue: z.enum(DEFAULT_QUEUE_CHOICES).optional(),
    /** From of this mailbox's acknowledgements; default the queue's sender (mail.senders, else MAIL_FROM). Without a display name it keeps the default's. */
    ackFrom: rfc5322Mailbox.optional(),
    /** Reply-To of this mailbox's acknowledgements (e.g. the mailbox itself when From is a no-reply). */
    replyTo: rfc5322Mailbox.optional(),
    /** Defaults for the four below: the `ingest` section. */
    afterFiling: z.enum(['keep', 'move']).optional(),
    keyword: z.string().min(1).optional(),
    moveTo: z.string().min(1).optional(),
    archiveMode: z.boolean().optional(),
  })
  .strict();

export const mailboxesSchema = z.array(mailboxEntrySchema).optional();
export type MailboxEntry = z.infer<typeof mailboxEntrySchema>;

export type MailboxCredentials =
  | { kind: 'password'; password: string; /** where it came from, for messages */ from: string }
  | { kind: 'oauth'; tokenUrl: string; clientId: string; clientSecret?: string; refreshToken: string; from: string };

/** One mailbox, resolved: every default applied and its secrets read from the environment. */
export interface MailboxConfig {
  name: string;
  /** The config key prefix that names this mailbox in messages (`mailboxes[1]`, or `IMAP_*`). */
  key: string;
  host: string;
  port: number;
  secure: boolean;
  user: string;
  credentials: MailboxCredentials;
  folder: string;
  defaultQueue: DefaultQueue;
  /** Only when the entry gives them: otherwise the queue's sender answers. */
  ackFrom?: Mailbox;
  replyTo?: Mailbox;
  afterFiling: 'keep' | 'move';
  keyword: string;
  moveTo: string;
  archiveMode: boolean;
}

/** The environment the single-mailbox shorthand and the entries' fallbacks read. */
export interface MailboxEnv {
  IMAP_HOST?: string;
  IMAP_PORT?: number;
  IMAP_SECURE?: boolean;
  IMAP_USER?: string;
  IMAP_PASSWORD?: string;
  IMAP_MAILBOX: string;
  IMAP_OAUTH_TOKEN_URL?: string;
  IMAP_OAUTH_CLIENT_ID?: string;
  IMAP_OAUTH_CLIENT_SECRET?: string;
  IMAP_OAUTH_REFRESH_TOKEN?: string;
}

export interface MailboxDefaults {
  defaultQueue: DefaultQueue;
  ingest: { afterFiling: 'keep' | 'move'; keyword: string; moveTo: string; archiveMode: boolean };
}

/** A problem with one key, as load-config turns it into a ConfigError. */
export class MailboxConfigProblem extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}

function envCredentials(env: MailboxEnv): MailboxCredentials | undefined {
  if (env.IMAP_OAUTH_TOKEN_URL && env.IMAP_OAUTH_CLIENT_ID && env.IMAP_OAUTH_REFRESH_TOKEN) {
    return {
      kind: 'oauth',
      tokenUrl: env.IMAP_OAUTH_TOKEN_URL,
      clientId: env.IMAP_OAUTH_CLIENT_ID,
      clientSecret: env.IMAP_OAUTH_CLIENT_SECRET,
      refreshToken: env.IMAP_OAUTH_REFRESH_TOKEN,
      from: 'IMAP_OAUTH_*',
    };
  }
  if (env.IMAP_PASSWORD) return { kind: 'password', password: env.IMAP_PASSWORD, from: 'IMAP_PASSWORD' };
  return undefined;
}

const defaultSecure = (port: number | undefined) => port === undefined || port === 993;

/**
 * Resolves the configured mailboxes (or the IMAP_* shorthand) into what the watchers and doctor
 * use. Pure apart from reading `source` (the process environment) for the named secrets.
 * Throws MailboxConfigProblem naming the bad key.
 */
export function resolveMailboxes(
  entries: MailboxEntry[] | undefined,
  env: MailboxEnv,
  source: Record<string, string | undefined>,
  defaults: MailboxDefaults,
): MailboxConfig[] {
  if (!entries) {
    if (!env.IMAP_HOST) return [];
    // load-config has already required IMAP_USER and a login with IMAP_HOST.
    const secure = env.IMAP_SECURE ?? defaultSecure(env.IMAP_PORT);
    return [
      {
        name: env.IMAP_MAILBOX,
        key: 'IMAP_*',
        host: env.IMAP_HOST,
        port: env.IMAP_PORT ?? (secure ? 993 : 143),
        secure,
        user: env.IMAP_USER!,
        credentials: envCredentials(env)!,
        folder: env.IMAP_MAILBOX,
        defaultQueue: defaults.defaultQueue,
        ...defaults.ingest,
      },
    ];
  }
  const out: MailboxConfig[] = [];
  entries.forEach((e, i) => {
    const key = `mailboxes[${i}]`;
    const host = e.host ?? env.IMAP_HOST;
    if (!host) throw new MailboxConfigProblem(`${key}.host`, 'is required (or set IMAP_HOST for every mailbox without one)');
    const user = e.user ?? env.IMAP_USER;
    if (!user) throw new MailboxConfigProblem(`${key}.user`, 'is required (or set IMAP_USER for every mailbox without one)');
    const port = e.port ?? env.IMAP_PORT;
    const secure = e.secure ?? env.IMAP_SECURE ?? defaultSecure(port);
    let credentials: MailboxCredentials | undefined;
    if (e.passwordEnv && e.oauth) throw new MailboxConfigProblem(`${key}.oauth`, 'give either passwordEnv or oauth, not both');
    if (e.passwordEnv) {
      const password = source[e.passwordEnv];
      if (!password) throw new MailboxConfigProblem(`${key}.passwordEnv`, `${e.passwordEnv} is not set`);
      credentials = { kind: 'password', password, from: e.passwordEnv };
    } else if (e.oauth) {
      const refreshToken = source[e.oauth.refreshTokenEnv];
      if (!refreshToken) throw new MailboxConfigProblem(`${key}.oauth.refreshTokenEnv`, `${e.oauth.refreshTokenEnv} is not set`);
      let clientSecret: string | undefined;
      if (e.oauth.clientSecretEnv) {
        clientSecret = source[e.oauth.clientSecretEnv];
        if (!clientSecret) throw new MailboxConfigProblem(`${key}.oauth.clientSecretEnv`, `${e.oauth.clientSecretEnv} is not set`);
      }
      credentials = { kind: 'oauth', tokenUrl: e.oauth.tokenUrl, clientId: e.oauth.clientId, clientSecret, refreshToken, from: `${key}.oauth` };
    } else if (e.user === undefined || e.user === env.IMAP_USER) {
      // The IMAP_* account (another folder of it): its login too.
      credentials = envCredentials(env);
    }
    if (!credentials) {
      throw new MailboxConfigProblem(`${key}.passwordEnv`, `is required: the name of the environment variable holding ${user}'s password (or give oauth)`);
    }
    out.push({
      name: e.name,
      key,
      host,
      port: port ?? (secure ? 993 : 143),
      secure,
      user,
      credentials,
      folder: e.folder,
      defaultQueue: e.defaultQueue ?? defaults.defaultQueue,
      ...(e.ackFrom ? { ackFrom: e.ackFrom } : {}),
      ...(e.replyTo ? { replyTo: e.replyTo } : {}),
      afterFiling: e.afterFiling ?? defaults.ingest.afterFiling,
      keyword: e.keyword ?? defaults.ingest.keyword,
      moveTo: e.moveTo ?? defaults.ingest.moveTo,
      archiveMode: e.archiveMode ?? defaults.ingest.archiveMode,
    });
  });
  // Two entries with one name would share a cursor; two reading one folder would race for it.
  const seen = new Map<string, string>();
  const where = new Map<string, string>();
  for (const m of out) {
    const other = seen.get(m.name);
    if (other) throw new MailboxConfigProblem(`${m.key}.name`, `"${m.name}" is already the name of ${other} (each mailbox needs its own)`);
    seen.set(m.name, m.key);
    const place = `${m.user.toLowerCase()}@${m.host.toLowerCase()}:${m.port}/${m.folder.toUpperCase() === 'INBOX' ? 'INBOX' : m.folder}`;
    const same = where.get(place);
    if (same) throw new MailboxConfigProblem(`${m.key}.folder`, `${m.folder} of ${m.user} is already read by ${same}`);
    where.set(place, m.key);
  }
  return out;
}
