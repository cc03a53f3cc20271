import { loadConfig, type Config } from '../config/load-config.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { newInstanceId } from '../app/instance-id.ts';
import { cleanUpOnExit } from './exit-paths.ts';

export interface CliContext {
  config: Config;
  log: Logger;
  db: Database;
}

/**
 * Runs a CLI command against the database. With the embedded default and no daemon running,
 * the embedded server is started for the command and stopped after it, also when the command
 * is interrupted (a signal, a closed pipe) while the server is still starting.
 */
export async function withDatabase<T>(fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // The CLI prints its own output; the log only says what went wrong.
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const opening = openDatabase(config, log, { applicationName: newInstanceId().replace('mailroom:', 'mailroom-cli:'), poolMax: 4 });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= opening.then((db) => db.close(), () => {}));
  const forget = cleanUpOnExit(close);
  try {
    return await fn({ config, log, db: await opening });
  } finally {
    await close();
    forget();
  }
}
