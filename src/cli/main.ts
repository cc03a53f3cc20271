import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { commandGroups } from './command-index.ts';
import { exitAfterCleanUp, installExitPaths } from './exit-paths.ts';

// Only commander and the command index are loaded up front: `mailroom --help` and
// `mailroom --version` need nothing else, and each command loads what it uses.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('mailroom')
  .description('Mailroom: the shared-inbox bot')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError('(run the command with --help for its usage)')
  .exitOverride();

program
  .command('start')
  .description('run the daemon (embedded PostgreSQL and .eml outbox when nothing is configured)')
  .action(async () => {
    const [{ loadConfig }, { createLogger }, { startDaemon }] = await Promise.all([
      import('../config/load-config.ts'),
      import('../logging/logger.ts'),
      import('../app/daemon.ts'),
    ]);
    const config = loadConfig();
    const log = createLogger(config.env.LOG_LEVEL);
    // Listening before the start-up: a signal that comes while it runs stops the daemon once it
    // is up, instead of killing it half-started (with its database left running).
    let stopping = false;
    const signalled = new Promise<string>((resolve) => {
      const onSignal = (sig: string) => {
        if (stopping) {
          log.warn({ sig }, 'second signal: exiting now');
          process.exit(130);
        }
        stopping = true;
        resolve(sig);
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
    });
    const daemon = await startDaemon(config, log);
    const sig = await signalled;
    log.info({ sig }, 'stopping');
    await daemon.stop().catch((e) => log.error({ err: e }, 'stop failed'));
  });

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    const { withDatabase } = await import('./context.ts');
    await withDatabase(async () => {
      process.stdout.write('database is up to date\n');
    });
  });

program
  .command('config')
  .description('configuration')
  .command('check')
  .description('validate environment and config/mailroom.yaml without starting anything')
  .action(async () => {
    const { loadConfig } = await import('../config/load-config.ts');
    const config = loadConfig();
    process.stdout.write(
      `config ok: ${config.configFile}; database ${config.embeddedDatabase ? 'embedded' : 'external'}; mail ${config.env.SMTP_URL ? 'smtp' : 'eml files in ' + config.dataDir + '/outbox'}; slack ${config.env.SLACK_BOT_TOKEN ? 'on' : 'off'}\n`,
    );
  });

/** Expected failures get one line and a non-zero exit; only bugs show a stack trace. */
async function fail(e: unknown): Promise<never> {
  if (e instanceof CommanderError) return exitAfterCleanUp(e.exitCode);
  // Loaded already when they are what failed; imported here so --help does not pay for them.
  const [{ ConfigError }, { EmbeddedPostgresError }, { CommandError }] = await Promise.all([
    import('../config/load-config.ts'),
    import('../db/embedded-postgres.ts'),
    import('./command-error.ts'),
  ]);
  if (e instanceof CommandError) return exitAfterCleanUp(1, `mailroom: ${e.message}\n`);
  if (e instanceof ConfigError) return exitAfterCleanUp(2, `mailroom: config error: ${e.message}\n`);
  if (e instanceof EmbeddedPostgresError) return exitAfterCleanUp(1, `mailroom: database error: ${e.message}\n`);
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EADDRINUSE') return exitAfterCleanUp(1, `mailroom: HTTP_PORT: port is already in use\n`);
  if (err?.code === 'ECONNREFUSED' || err?.code === 'ENOTFOUND' || /password authentication|does not exist/.test(String(err?.message))) {
    return exitAfterCleanUp(1, `mailroom: database error: cannot connect (${err.code ?? String(err.message).split('\n')[0]}); check DATABASE_URL\n`);
  }
  return exitAfterCleanUp(1, `mailroom: ${err?.stack ?? String(e)}\n`);
}

/**
 * Registers what this command line needs: the one group it names, or, for the overview
 * (`mailroom`, `mailroom --help`, an unknown command), a stand-in per command that only
 * carries its name and description.
 */
async function registerCommands(argv: string[]): Promise<void> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const named = words[0] === 'help' ? words[1] : words[0];
  if (['start', 'migrate', 'config'].includes(named ?? '')) return;
  const group = commandGroups.find((g) => named !== undefined && named in g.commands);
  if (group) return group.register(program);
  for (const g of commandGroups) {
    for (const [name, description] of Object.entries(g.commands)) {
      program.command(`${name}${g.usage?.[name] ? ' ' + g.usage[name] : ''}`).description(description);
    }
  }
}

const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
// The daemon stops itself in order on a signal; every other command runs the exit paths.
if (command !== 'start') installExitPaths();
try {
  await registerCommands(process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (e) {
  await fail(e);
}
