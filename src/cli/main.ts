import { Command, CommanderError } from 'commander';
import { loadConfig, ConfigError } from '../config/load-config.ts';
import { createLogger } from '../logging/logger.ts';
import { withDatabase } from './context.ts';
import { EmbeddedPostgresError } from '../db/embedded-postgres.ts';

const program = new Command('mailroom')
  .description('Mailroom: the shared-inbox bot')
  .showHelpAfterError()
  .exitOverride();

program
  .command('start')
  .description('run the daemon (embedded PostgreSQL and .eml outbox when nothing is configured)')
  .action(async () => {
    const config = loadConfig();
    const log = createLogger(config.env.LOG_LEVEL);
    const { startDaemon } = await import('../app/daemon.ts');
    const daemon = await startDaemon(config, log);
    await new Promise<void>((resolve) => {
      let stopping = false;
      const onSignal = (sig: string) => {
        if (stopping) {
          log.warn({ sig }, 'second signal: exiting now');
          process.exit(130);
        }
        stopping = true;
        log.info({ sig }, 'stopping');
        daemon.stop().then(resolve, (e) => {
          log.error({ err: e }, 'stop failed');
          resolve();
        });
      };
      process.once('SIGINT', () => onSignal('SIGINT'));
      process.once('SIGTERM', () => onSignal('SIGTERM'));
    });
  });

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    await withDatabase(async () => {
      process.stdout.write('database is up to date\n');
    });
  });

program
  .command('config')
  .description('configuration')
  .command('check')
  .description('validate environment and config/mailroom.yaml without starting anything')
  .action(() => {
    const config = loadConfig();
    process.stdout.write(
      `config ok: ${config.configFile}; database ${config.embeddedDatabase ? 'embedded' : 'external'}; mail ${config.env.SMTP_URL ? 'smtp' : 'eml files in ' + config.dataDir + '/outbox'}; slack ${config.env.SLACK_BOT_TOKEN ? 'on' : 'off'}\n`,
    );
  });

/**
 * The command groups, each loaded only when its command runs: `mailroom tickets list` then
 * does not pull in the daemon, Slack, IMAP and the newsletter (it started three times faster).
 * Help and unknown commands load them all, so the listing and the suggestions are complete.
 */
const groups: [commands: string[], register: (program: Command) => Promise<void>][] = [
  [['import'], async (p) => (await import('./commands/import.ts')).registerImportCommands(p)],
  [['messages'], async (p) => (await import('./commands/messages.ts')).registerMessageCommands(p)],
  [['quarantine'], async (p) => (await import('./commands/quarantine.ts')).registerQuarantineCommands(p)],
  [['tickets'], async (p) => (await import('./commands/tickets.ts')).registerTicketCommands(p)],
  [['contacts', 'leads', 'organisations'], async (p) => (await import('./commands/records.ts')).registerRecordCommands(p)],
  [['triage'], async (p) => (await import('./commands/triage.ts')).registerTriageCommands(p)],
  [['classify'], async (p) => (await import('./commands/classify.ts')).registerClassifyCommands(p)],
  [['records'], async (p) => (await import('./commands/records-import.ts')).registerRecordsImportCommands(p)],
  [
    ['tasks'],
    async (p) => {
      const [{ registerTaskCommands }, { ActionRegistry }, { registerNoticeAction }, { noticeDepsFromConfig }, { privacyDepsFromConfig, registerPrivacyActions }, { registerBroadcastAction }, { staffActions }, { filingDepsFromConfig }] =
        await Promise.all([
          import('./commands/tasks.ts'),
          import('../tasks/action-registry.ts'),
          import('../notices/notice-service.ts'),
          import('../notices/setup.ts'),
          import('../privacy/wire.ts'),
          import('../newsletter/campaigns.ts'),
          import('../app/staff-actions.ts'),
          import('../app/filing-setup.ts'),
        ]);
      registerTaskCommands(p, {
        // The same approval actions as the daemon registers, so a CLI approval runs the same code.
        services: (ctx) => {
          const actions = new ActionRegistry();
          registerNoticeAction(actions, { ...noticeDepsFromConfig(ctx.config, { log: ctx.log }), now: () => new Date() });
          registerPrivacyActions(actions, privacyDepsFromConfig(ctx.config));
          registerBroadcastAction(actions);
          return { ...staffActions(filingDepsFromConfig(ctx.config)), actions };
        },
      });
    },
  ],
  [['notices'], async (p) => (await import('./commands/notices.ts')).registerNoticeCommands(p)],
  [['privacy'], async (p) => (await import('./commands/privacy.ts')).registerPrivacyCommands(p)],
  [['lists'], async (p) => (await import('./commands/lists.ts')).registerListsCommands(p)],
  [['subscribers'], async (p) => (await import('./commands/subscribers.ts')).registerSubscribersCommands(p)],
  [['campaigns'], async (p) => (await import('./commands/campaigns.ts')).registerCampaignsCommands(p)],
  [['outbox'], async (p) => (await import('./commands/outbox.ts')).registerOutboxCommands(p)],
];

/** Expected failures get one line and a non-zero exit; only bugs show a stack trace. */
function fail(e: unknown): never {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof ConfigError) {
    process.stderr.write(`mailroom: config error: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof EmbeddedPostgresError) {
    process.stderr.write(`mailroom: database error: ${e.message}\n`);
    process.exit(1);
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EADDRINUSE') {
    process.stderr.write(`mailroom: HTTP_PORT: port is already in use\n`);
    process.exit(1);
  }
  if (err?.code === 'ECONNREFUSED' || err?.code === 'ENOTFOUND' || /password authentication|does not exist/.test(String(err?.message))) {
    process.stderr.write(`mailroom: database error: cannot connect (${err.code ?? String(err.message).split('\n')[0]}); check DATABASE_URL\n`);
    process.exit(1);
  }
  process.stderr.write(`mailroom: ${err?.stack ?? String(e)}\n`);
  process.exit(1);
}

try {
  const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const builtIn = ['start', 'migrate', 'config'].includes(command ?? '');
  const chosen = groups.filter(([commands]) => commands.includes(command ?? ''));
  for (const [, register] of builtIn ? [] : chosen.length ? chosen : groups) await register(program);
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}
