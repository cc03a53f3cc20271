/**
 * `mailroom doctor`: which checks the configuration calls for, built from it. Each check lives
 * in its own module and talks to one real server; nothing is filed, sent or migrated.
 */
import type { Config } from '../config/load-config.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { migrationsList } from '../db/migrations/index.ts';
import { imapConnectionFor } from '../ingest/imap-connection.ts';
import { deploymentFingerprint } from '../http/service-identity.ts';
import { silentLogger } from '../logging/logger.ts';
import { fail, ok, warn, type Check, type CheckResult } from './check.ts';
import { databaseCheck } from './database-check.ts';
import { imapCheck } from './imap-check.ts';
import { smtpCheck } from './smtp-check.ts';
import { slackCheck, slackOffResult } from './slack-check.ts';
import { publicUrlCheck, publicUrlUnsetResult } from './public-url-check.ts';
import { describeUrl } from './net-error.ts';
import { ConfigError } from '../config/load-config.ts';
import { formatMailbox } from '../mail/address.ts';

/** A finding known without asking any server (something not configured), in the checks' order. */
const known = (r: CheckResult): Check => ({ name: r.check, run: async () => ({ results: [r] }) });

/** The checks in the order they are printed: config, database, IMAP, SMTP, Slack, PUBLIC_URL. */
export function doctorChecks(config: Config, opts: { timeoutMs: number }): Check[] {
  const env = config.env;
  const checks: Check[] = [known(ok('config', `${config.configFile} and the environment are valid`))];
  const timeoutMs = opts.timeoutMs;

  checks.push(
    databaseCheck({
      label: config.embeddedDatabase ? `${config.dataDir}/pg` : describeUrl(env.DATABASE_URL!, 5432),
      embedded: config.embeddedDatabase,
      knownMigrations: migrationsList.map((m) => m.name),
      timeoutMs,
      connect: config.embeddedDatabase
        ? () => startEmbeddedPostgres({ dataDir: config.dataDir, port: env.MAILROOM_EMBEDDED_PG_PORT, log: silentLogger }).then((e) => ({ url: e.url, close: e.stop }))
        : async () => ({ url: env.DATABASE_URL!, close: async () => {} }),
    }),
  );

  // One login per mailbox: each is its own account (or folder) with its own secret.
  const several = config.behaviour.mailboxes !== undefined;
  for (const m of config.mailboxes) {
    checks.push(
      imapCheck({
        connection: imapConnectionFor(m),
        mailbox: m.folder,
        moveTo: m.afterFiling === 'move' ? m.moveTo : undefined,
        timeoutMs,
        ...(several ? { mailboxName: m.name, configKey: m.key, secretFrom: m.credentials.kind === 'password' ? m.credentials.from : undefined } : {}),
      }),
    );
  }
  if (config.mailboxes.length === 0) {
    checks.push(known(warn('imap login', 'IMAP_HOST not set and no `mailboxes:` configured: no mailbox is watched (mail is filed only through `mailroom import`)')));
  }

  if (env.SMTP_URL) checks.push(smtpCheck({ smtpUrl: env.SMTP_URL, mailFrom: formatMailbox(env.MAIL_FROM), timeoutMs }));
  else checks.push(known(warn('smtp', `SMTP_URL not set: outgoing mail is written as .eml files to ${config.dataDir}/outbox and nobody receives it`)));

  if (env.SLACK_BOT_TOKEN) {
    checks.push(
      slackCheck({
        botToken: env.SLACK_BOT_TOKEN,
        appToken: env.SLACK_APP_TOKEN,
        apiUrl: env.SLACK_API_URL ?? 'https://slack.com/api/',
        channels: config.behaviour.slack.channels,
        timeoutMs,
      }),
    );
  } else checks.push(known(slackOffResult()));

  if (env.PUBLIC_URL) checks.push(publicUrlCheck({ publicUrl: env.PUBLIC_URL, deployment: deploymentFingerprint(config.secret), timeoutMs }));
  else checks.push(known(publicUrlUnsetResult(env.HTTP_PORT)));

  return checks;
}
