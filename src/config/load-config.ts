import { readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { envSchema, cleanEnv, type Env } from './env-schema.ts';
import { behaviourSchema, type Behaviour } from './behaviour-schema.ts';
import { resolveSenders, type Senders } from '../mail/senders.ts';
import { domainOf } from '../threading/normalise-address.ts';
import { resolveMailboxes, MailboxConfigProblem, type MailboxConfig } from './mailboxes.ts';
import { defaultKeywordRules, DefaultRulesError } from '../classify/routing-rules.ts';

export interface Config {
  env: Env;
  behaviour: Behaviour;
  dataDir: string;
  configFile: string;
  /** True when no DATABASE_URL is given and the daemon runs its own PostgreSQL. */
  embeddedDatabase: boolean;
  secret: string;
  messageIdDomain: string;
  /** From/Reply-To of each kind of outgoing mail: MAIL_FROM, overridden per queue by mail.senders. */
  senders: Senders;
  /** The mailboxes read: `mailboxes:` resolved, or the one the IMAP_* variables describe; empty without IMAP. */
  mailboxes: MailboxConfig[];
}

/** A configuration problem, worded as the one line an operator needs. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** `mailboxes[1].passwordEnv`, as an operator reads a key in YAML. */
function keyOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function firstIssue(error: z.ZodError, prefix: string, values?: Record<string, unknown>): ConfigError {
  const issue = error.issues[0]!;
  const key = keyOf(issue.path);
  let problem = issue.message;
  if (issue.code === 'unrecognized_keys') {
    return new ConfigError(prefix + keyOf([...issue.path, issue.keys[0]!]), 'unknown key (check its spelling)');
  }
  if (values && key in values) problem += ` (got ${JSON.stringify(values[key])})`;
  return new ConfigError(prefix ? `${prefix}${key}` : key, problem);
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const raw = cleanEnv(source);
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const err = firstIssue(parsed.error, '', raw);
    // Never echo secrets back, even when they are malformed.
    if (/SECRET|PASSWORD|TOKEN|DATABASE_URL|SMTP_URL/.test(err.key)) {
      throw new ConfigError(err.key, parsed.error.issues[0]!.message);
    }
    throw err;
  }
  return parsed.data;
}

export function loadBehaviour(file: string): Behaviour {
  let doc: unknown = {};
  if (existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      doc = parseYaml(text) ?? {};
    } catch (e) {
      const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}` : '';
      throw new ConfigError(file, `is not valid YAML${where}`);
    }
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(file, 'must be a YAML mapping');
  }
  const parsed = behaviourSchema.safeParse(doc);
  if (!parsed.success) throw firstIssue(parsed.error, `${file}: `);
  // The shipped rules are read now, not at the first mail: a broken or missing rules file stops
  // `start` and `config check` with its rule and key named.
  if (parsed.data.routing.includeDefaultKeywords) {
    try {
      defaultKeywordRules();
    } catch (e) {
      if (e instanceof DefaultRulesError) throw new ConfigError(e.key, e.problem);
      throw e;
    }
  }
  return parsed.data;
}

/**
 * Mail settings that only work together: a mailbox needs a login (password or OAuth), and
 * sending over SMTP needs a From address of the company's own (the default is a placeholder
 * customers would see). Checked here, so `config check` refuses what `start` would.
 */
function checkMailSettings(env: Env, given: Record<string, string>): void {
  if (env.IMAP_HOST) {
    if (!env.IMAP_USER) throw new ConfigError('IMAP_USER', 'is required when IMAP_HOST is set');
    if (env.IMAP_OAUTH_TOKEN_URL) {
      for (const key of ['IMAP_OAUTH_CLIENT_ID', 'IMAP_OAUTH_REFRESH_TOKEN'] as const) {
        if (!env[key]) throw new ConfigError(key, 'is required with IMAP_OAUTH_TOKEN_URL');
      }
    } else if (!env.IMAP_PASSWORD) {
      throw new ConfigError('IMAP_PASSWORD', 'is required when IMAP_HOST is set (or set IMAP_OAUTH_TOKEN_URL, IMAP_OAUTH_CLIENT_ID and IMAP_OAUTH_REFRESH_TOKEN)');
    }
  }
  if (env.SMTP_URL && !given.MAIL_FROM) throw new ConfigError('MAIL_FROM', 'is required when SMTP_URL is set (the address customers see mail from)');
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const env = loadEnv(source);
  const given = cleanEnv(source);
  checkMailSettings(env, given);
  // Only the default behaviour file may be absent: a file named on purpose that is not there
  // is a mistake (a typo would otherwise run on defaults without a word).
  if (given.MAILROOM_CONFIG && !existsSync(env.MAILROOM_CONFIG)) throw new ConfigError('MAILROOM_CONFIG', `${env.MAILROOM_CONFIG}: no such file`);
  const behaviour = loadBehaviour(env.MAILROOM_CONFIG);
  const dataDir = path.resolve(env.MAILROOM_DATA_DIR);
  const embeddedDatabase = !env.DATABASE_URL;
  if (!env.MAILROOM_SECRET && !embeddedDatabase) {
    throw new ConfigError('MAILROOM_SECRET', 'is required when DATABASE_URL is set (signs links and tokens)');
  }
  if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    throw new ConfigError('SLACK_SIGNING_SECRET', 'is required with SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  const secret = env.MAILROOM_SECRET ?? embeddedSecret(dataDir);
  const messageIdDomain = behaviour.mail.messageIdDomain ?? (domainOf(env.MAIL_FROM.address) ?? '');
  const senders = resolveSenders(env.MAIL_FROM, behaviour.mail);
  let mailboxes: MailboxConfig[];
  try {
    mailboxes = resolveMailboxes(behaviour.mailboxes, env, source, {
      defaultQueue: behaviour.routing.defaultQueue,
      ingest: behaviour.ingest,
    });
  } catch (e) {
    if (e instanceof MailboxConfigProblem) throw new ConfigError(`${env.MAILROOM_CONFIG}: ${e.key}`, e.problem);
    throw e;
  }
  return { env, behaviour, dataDir, configFile: env.MAILROOM_CONFIG, embeddedDatabase, secret, messageIdDomain, senders, mailboxes };
}

/**
 * The embedded default needs no set-up, yet its links must still be unguessable: a random key
 * is made once and kept beside the data, so tokens stay valid across restarts.
 */
function embeddedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}
