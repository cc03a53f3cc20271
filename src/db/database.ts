import type { Config } from '../config/load-config.ts';
import type { Logger } from '../logging/logger.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { openOrm, migrate, newerMigrations, type Orm } from './orm.ts';

export interface Database {
  orm: Orm;
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the configured database (or the embedded one) and brings its schema up to date.
 * `applicationName` identifies this process to other instances (see the outbox dispatcher).
 */
export async function openDatabase(
  config: Config,
  log: Logger,
  opts: { applicationName: string; migrate?: boolean; poolMax?: number },
): Promise<Database> {
  let url = config.env.DATABASE_URL;
  let stopEmbedded = async () => {};
  if (!url) {
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.env.MAILROOM_EMBEDDED_PG_PORT, log });
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  let orm: Orm;
  try {
    orm = await openOrm({ url, applicationName: opts.applicationName, poolMax: opts.poolMax });
    if (opts.migrate !== false) {
      const applied = await migrate(orm);
      if (applied.length) log.info({ applied }, 'database migrations applied');
      const newer = await newerMigrations(orm);
      if (newer.length) {
        log.warn({ migrations: newer }, 'the database schema is newer than this version (a newer Mailroom migrated it); running on it since migrations are additive: upgrade this host');
      }
    }
  } catch (e) {
    await stopEmbedded();
    throw e;
  }
  return {
    orm,
    url,
    async close() {
      await orm.close(true);
      await stopEmbedded();
    },
  };
}
