import { loadConfig, type Config } from '../config/load-config.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { newInstanceId } from '../app/instance-id.ts';

export interface CliContext {
  config: Config;
  log: Logger;
  db: Database;
}

/**
 * Runs a CLI command against the database. With the embedded default and no daemon running,
 * the embedded server is started for the command and stopped after it.
 */
export async function withDatabase<T>(fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // The CLI prints its own output; the log only says what went wrong.
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const db = await openDatabase(config, log, { applicationName: newInstanceId().replace('mailroom:', 'mailroom-cli:'), poolMax: 4 });
  try {
    return await fn({ config, log, db });
  } finally {
    await db.close();
  }
}
