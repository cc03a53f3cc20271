import { ImapFlow, type ImapFlowError } from 'imapflow';
import type { ImapConnection } from '../ingest/imap-watcher.ts';
import { fail, ok, warn, type Check, type CheckResult } from './check.ts';
import { describeNetError } from './net-error.ts';

export interface ImapCheckOptions {
  connection: ImapConnection;
  mailbox: string;
  /** The folder filed mail is moved to, when ingest.afterFiling is `move`. */
  moveTo?: string;
  timeoutMs: number;
  /**
   * A configured mailbox of several (`mailboxes:`): its name goes in each check's name
   * (`imap login [support]`) and its config key in the hints. Without it the IMAP_* shorthand.
   */
  mailboxName?: string;
  /** Config key prefix (`mailboxes[1]`) and where the secret came from (`IMAP_SALES_PASSWORD`). */
  configKey?: string;
  secretFrom?: string;
}

interface Hints {
  login: string;
  oauth: string;
  transport: string;
  host: string;
  folder: string;
  moveTo: string;
}

function hintsFor(o: ImapCheckOptions): Hints {
  if (!o.configKey) {
    return {
      login: 'check IMAP_USER and IMAP_PASSWORD',
      oauth: 'check the IMAP_OAUTH_* settings',
      transport: 'check IMAP_SECURE and IMAP_PORT',
      host: 'check IMAP_HOST, IMAP_PORT',
      folder: 'correct IMAP_MAILBOX',
      moveTo: 'correct ingest.moveTo',
    };
  }
  const k = o.configKey;
  return {
    login: `check ${k}.user and ${o.secretFrom ?? `${k}.passwordEnv`}`,
    oauth: `check ${k}.oauth and the variables it names`,
    transport: `check ${k}.secure and ${k}.port`,
    host: `check ${k}.host, ${k}.port`,
    folder: `correct ${k}.folder`,
    moveTo: `correct ${k}.moveTo`,
  };
}

function loginFailure(e: unknown, c: ImapConnection, h: Hints): string {
  const err = e as ImapFlowError;
  const who = `${c.user} at ${c.host}:${c.port}`;
  if (err?.authenticationFailed) {
    const how = 'pass' in c.auth ? h.login : `${h.oauth} and the account's IMAP permission`;
    return `login as ${who} refused${err.serverResponseCode ? ` (${err.serverResponseCode})` : ''}: ${how}`;
  }
  if (err?.tlsFailed || /TLS/.test(describeNetError(e))) return `TLS with ${c.host}:${c.port} failed (${describeNetError(e)}): ${h.transport}`;
  return `cannot reach ${c.host}:${c.port} (${describeNetError(e)}): ${h.host} and the firewall`;
}

/**
 * Logs in as the daemon would, then only reads: the capability list, LIST and STATUS. No
 * mailbox is selected, no flag set, nothing moved: the real watcher may be running meanwhile.
 */
export function imapCheck(o: ImapCheckOptions): Check {
  const h = hintsFor(o);
  const name = (check: string) => (o.mailboxName !== undefined ? `${check} [${o.mailboxName}]` : check);
  return {
    name: name('imap login'),
    async run() {
      const c = o.connection;
      let auth: { user: string; pass?: string; accessToken?: string };
      try {
        auth = 'pass' in c.auth ? { user: c.user, pass: c.auth.pass } : { user: c.user, accessToken: await c.auth.accessToken() };
      } catch (e) {
        return { results: [fail(name('imap login'), `getting an OAuth access token failed (${describeNetError(e)}): ${h.oauth}`)] };
      }
      const client = new ImapFlow({
        host: c.host,
        port: c.port,
        secure: c.secure,
        ...(c.tls ? { tls: c.tls } : {}),
        auth,
        logger: false,
        connectionTimeout: o.timeoutMs,
        greetingTimeout: o.timeoutMs,
        socketTimeout: o.timeoutMs,
      });
      // imapflow reports socket trouble as 'error' events too; the promise rejection says it.
      client.on('error', () => {});
      const results: CheckResult[] = [];
      try {
        try {
          await client.connect();
        } catch (e) {
          return { results: [fail(name('imap login'), loginFailure(e, c, h))] };
        }
        results.push(ok(name('imap login'), `logged in as ${c.user} at ${c.host}:${c.port} (${c.secure ? 'TLS' : 'no TLS'})`));
        if (!c.secure && !['127.0.0.1', 'localhost', '::1'].includes(c.host)) {
          results.push(warn(name('imap tls'), `the connection to ${c.host} is not encrypted: set IMAP_SECURE=true (port 993) unless the network is private`));
        }
        const status = await client.status(o.mailbox, { messages: true }).catch(() => false as const);
        results.push(
          status
            ? ok(name('imap mailbox'), `${o.mailbox} exists (${status.messages ?? '?'} messages)`)
            : fail(name('imap mailbox'), `${o.mailbox} does not exist for ${c.user}: ${h.folder} (folder names are case-sensitive except INBOX)`),
        );
        results.push(
          client.capabilities.has('IDLE')
            ? ok(name('imap idle'), 'the server supports IDLE (new mail is seen within a second)')
            : warn(name('imap idle'), 'the server does not offer IDLE: new mail is only seen at the watchdog interval (ingest.watchdogIntervalMs)'),
        );
        if (o.moveTo !== undefined) {
          const target = await client.status(o.moveTo, { messages: true }).catch(() => false as const);
          results.push(
            target
              ? ok(name('imap move target'), `${o.moveTo} exists (afterFiling: move)`)
              : fail(name('imap move target'), `${o.moveTo} does not exist: create the folder or ${h.moveTo} (filed mail is moved there)`),
          );
        }
        return { results };
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
  };
}
