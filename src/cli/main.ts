import { Command, CommanderError } from 'commander';
import { loadConfig, ConfigError } from '../config/load-config.ts';
import { createLogger } from '../logging/logger.ts';
import { startDaemon } from '../app/daemon.ts';
import { withDatabase } from './context.ts';
import { registerOutboxCommands } from './commands/outbox.ts';
import { registerTicketCommands } from './commands/tickets.ts';
import { registerRecordCommands } from './commands/records.ts';
import { registerRecordsImportCommands } from './commands/records-import.ts';
import { registerTriageCommands } from './commands/triage.ts';
import { registerMessageCommands } from './commands/messages.ts';
import { registerQuarantineCommands } from './commands/quarantine.ts';
import { registerImportCommands } from './commands/import.ts';
import { registerTaskCommands } from './commands/tasks.ts';
import { filingDepsFromConfig } from '../app/filing-setup.ts';
import { staffActions } from '../app/staff-actions.ts';
import { ActionRegistry } from '../tasks/action-registry.ts';
import { registerNoticeAction } from '../notices/notice-service.ts';
import { noticeDepsFromConfig } from '../notices/setup.ts';
import { registerNoticeCommands } from './commands/notices.ts';
import { registerPrivacyCommands } from './commands/privacy.ts';
import { registerListsCommands } from './commands/lists.ts';
import { registerSubscribersCommands } from './commands/subscribers.ts';
import { registerCampaignsCommands } from './commands/campaigns.ts';
import { registerBroadcastAction } from '../newsletter/campaigns.ts';
import { privacyDepsFromConfig, registerPrivacyActions } from '../privacy/wire.ts';
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

registerImportCommands(program);
registerMessageCommands(program);
registerQuarantineCommands(program);
registerTicketCommands(program);
registerRecordCommands(program);
registerTriageCommands(program);
registerRecordsImportCommands(program);
registerTaskCommands(program, {
  // The same approval actions as the daemon registers, so a CLI approval runs the same code.
  services: (ctx) => {
    const actions = new ActionRegistry();
    registerNoticeAction(actions, { ...noticeDepsFromConfig(ctx.config, { log: ctx.log }), now: () => new Date() });
    registerPrivacyActions(actions, privacyDepsFromConfig(ctx.config));
    registerBroadcastAction(actions);
    return { ...staffActions(filingDepsFromConfig(ctx.config)), actions };
  },
});
registerNoticeCommands(program);
registerPrivacyCommands(program);
registerListsCommands(program);
registerSubscribersCommands(program);
registerCampaignsCommands(program);
registerOutboxCommands(program);

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
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}
