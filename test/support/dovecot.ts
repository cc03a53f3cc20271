/**
 * A private, throw-away Dovecot IMAP server for tests.
 *
 * Each call to `startDovecot()` writes a fresh config (from /work/shared/notes/dovecot-for-tests.md)
 * into its own temp dir, binds a free loopback port, authenticates users from a passwd-file
 * and stores mail as maildir; no TLS. Safe to call from several vitest workers at once.
 *
 *   const dc = await startDovecot();
 *   await dc.append('post@infracomfort.example', 'INBOX', rawEml);
 *   ... new ImapFlow(dc.clientOptions()) ...
 *   await dc.stop();
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { getFreePort, waitForPort } from './free-port.ts';

export interface DovecotUser {
  user: string;
  password: string;
}

export interface StartDovecotOptions {
  /** Users to create; default one user `post@infracomfort.example` / `secret`. */
  users?: DovecotUser[];
  /** Keep the temp dir after stop() (for debugging). Also on with MAILROOM_KEEP_DOVECOT=1. */
  keepDir?: boolean;
}

export interface AppendResult {
  uid?: number;
  uidValidity?: bigint;
}

export interface RecreateResult {
  /** UIDVALIDITY before the mailbox was re-created. */
  before: bigint;
  /** UIDVALIDITY after; always different from `before`. */
  after: bigint;
}

export interface DovecotInstance {
  host: '127.0.0.1';
  port: number;
  users: DovecotUser[];
  /** The temp dir holding config, passwd, log, run/state dirs and mail. */
  dir: string;
  configPath: string;
  logPath: string;
  /**
   * Deliver a message with IMAP APPEND as `user` (one cached connection per user).
   * The mailbox is created if it does not exist. Returns the UIDPLUS answer.
   */
  append(
    user: string,
    mailbox: string,
    raw: Buffer | string,
    flags?: string[],
    internalDate?: Date,
  ): Promise<AppendResult>;
  /**
   * Delete and re-create `mailbox` so that its UIDVALIDITY changes (all its messages are gone).
   * INBOX cannot be deleted in IMAP, so for INBOX the messages are expunged and UIDVALIDITY is
   * bumped with `doveadm mailbox update` — the same situation for a client.
   */
  recreateMailbox(user: string, mailbox: string): Promise<RecreateResult>;
  /** ImapFlow options for `user` (default: the first user). */
  clientOptions(user?: string): ImapFlowOptions;
  /** IMAP_* environment variables for the daemon, for `user` (default: the first user). */
  env(user?: string): Record<string, string>;
  /** Dovecot's log so far (useful in failure messages). */
  readLog(): string;
  /** Stop Dovecot (`doveadm stop`), close cached connections, remove the dir. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_USERS: DovecotUser[] = [{ user: 'post@infracomfort.example', password: 'secret' }];
const INSTALL_HINT = 'apt-get install -y dovecot-imapd';

/** Finds an executable on PATH, also looking in the sbin dirs a non-root PATH often lacks. */
export function findExecutable(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const extra of ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/usr/local/bin']) {
    if (!dirs.includes(extra)) dirs.push(extra);
  }
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(file: string, args: string[], timeoutMs = 15_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const e = new Error(
          `${path.basename(file)} ${args.join(' ')} failed: ${err.message}` +
            (stderr ? `\n${stderr.trim()}` : '') +
            (stdout ? `\n${stdout.trim()}` : ''),
        );
        reject(e);
      } else resolve({ stdout, stderr });
    });
  });
}

/**
 * Runs `dovecot -c conf`, which forks the master into the background and exits. Its output goes
 * to a file: the master inherits stdio, so waiting for pipes to close would wait on the daemon.
 */
async function startDaemon(bin: string, configPath: string, outPath: string): Promise<void> {
  const fd = fs.openSync(outPath, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(bin, ['-c', configPath], { stdio: ['ignore', fd, fd], detached: true });
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`dovecot -c ${configPath} did not return within 15 s`));
      }, 15_000);
      child.once('error', (err) => {
        clearTimeout(t);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(t);
        if (code === 0) resolve();
        else {
          const out = fs.readFileSync(outPath, 'utf8').trim();
          reject(new Error(`dovecot -c ${configPath} exited with ${code ?? signal}${out ? `: ${out}` : ''}`));
        }
      });
    });
  } finally {
    fs.closeSync(fd);
  }
}

function lookupId(file: '/etc/passwd' | '/etc/group', name: string): number | undefined {
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const parts = line.split(':');
      if (parts[0] === name && parts[2] !== undefined) return Number(parts[2]);
    }
  } catch {
    // no such file
  }
  return undefined;
}

function lookupName(file: '/etc/passwd' | '/etc/group', id: number): string | undefined {
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const parts = line.split(':');
      if (parts[2] !== undefined && Number(parts[2]) === id && parts[0]) return parts[0];
    }
  } catch {
    // no such file
  }
  return undefined;
}

interface Identity {
  internalUser: string;
  internalGroup: string;
  uid: number;
  gid: number;
  rootless: boolean;
}

/**
 * As root (the note's setup) sessions run as nobody:nogroup; the mail and home dirs are then
 * pre-created and owned by nobody, because the temp dir itself is root's (mode 755).
 * Not as root, everything runs as the current user.
 */
function identity(): Identity {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) {
    const group = lookupId('/etc/group', 'nogroup') !== undefined ? 'nogroup' : 'nobody';
    return {
      internalUser: 'nobody',
      internalGroup: group,
      uid: lookupId('/etc/passwd', 'nobody') ?? 65534,
      gid: lookupId('/etc/group', group) ?? 65534,
      rootless: false,
    };
  }
  const gid = process.getgid?.() ?? uid;
  const user = lookupName('/etc/passwd', uid) ?? os.userInfo().username;
  const group = lookupName('/etc/group', gid) ?? user;
  return { internalUser: user, internalGroup: group, uid, gid, rootless: true };
}

function renderConfig(dir: string, port: number, id: Identity): string {
  // Each `{ … }` item on its own line: Dovecot's parser wants that.
  return `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${id.internalUser}
default_internal_group = ${id.internalGroup}
default_login_user = ${id.internalUser}
${id.rootless ? 'first_valid_uid = 1\nfirst_valid_gid = 1\n' : ''}mail_location = maildir:${dir}/mail/%u
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${id.uid} gid=${id.gid} home=${dir}/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 50
}
namespace inbox {
  inbox = yes
  mailbox Archive {
    auto = subscribe
    special_use = \\Archive
  }
  mailbox Trash {
    auto = subscribe
    special_use = \\Trash
  }
}
`;
}

/** Running (not gone, not a zombie waiting for a slow init to reap it). */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    if (fs.existsSync('/proc/self')) return false; // /proc works: the pid is gone
    try {
      process.kill(pid, 0); // no /proc: fall back to a signal probe
      return true;
    } catch {
      return false;
    }
  }
}

/** Dovecot processes whose parent is `ppid` (the master's service processes and sessions). */
function dovecotChildren(ppid: number): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const d of entries) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== ppid) continue;
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes('dovecot') || stat.includes('(imap') || stat.includes('(auth')) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitForPortClosed(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (!open) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function readPid(dir: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(path.join(dir, 'run', 'master.pid'), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function readLogFile(logPath: string): string {
  try {
    return fs.readFileSync(logPath, 'utf8');
  } catch {
    return '';
  }
}

// Safety net: a test process that exits without stop() must not leave Dovecots behind.
const live = new Map<string, { dir: string; keepDir: boolean }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    // Synchronous and immediate: kill the instance's processes, remove its dir.
    for (const inst of live.values()) {
      const pid = readPid(inst.dir);
      if (pid) {
        const children = dovecotChildren(pid);
        killQuietly(pid, 'SIGKILL');
        for (const c of children) killQuietly(c, 'SIGKILL');
      }
      if (!inst.keepDir) {
        try {
          fs.rmSync(inst.dir, { recursive: true, force: true });
        } catch {
          // best effort
        }
      }
    }
    live.clear();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

export async function startDovecot(opts: StartDovecotOptions = {}): Promise<DovecotInstance> {
  const dovecotBin = findExecutable('dovecot');
  const doveadmBin = findExecutable('doveadm');
  if (!dovecotBin || !doveadmBin) {
    throw new Error(
      `Dovecot is not installed (no \`${dovecotBin ? 'doveadm' : 'dovecot'}\` binary found on PATH or in /usr/sbin). ` +
        `Install it with: ${INSTALL_HINT}  (as root; run \`apt-get update\` first on a fresh machine)`,
    );
  }

  const users = (opts.users ?? DEFAULT_USERS).map((u) => ({ ...u }));
  if (users.length === 0) throw new Error('startDovecot: at least one user is needed');
  for (const u of users) {
    if (!u.user || /[:\s]/.test(u.user) || /[:\n]/.test(u.password)) {
      throw new Error(`startDovecot: user names may not contain ':' or spaces, passwords no ':' (${u.user})`);
    }
  }
  const keepDir = opts.keepDir ?? process.env.MAILROOM_KEEP_DOVECOT === '1';
  const id = identity();

  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mailroom-dovecot-'));
  await fsp.chmod(dir, 0o755);
  const configPath = path.join(dir, 'dovecot.conf');
  const logPath = path.join(dir, 'dovecot.log');
  const cleanupDir = () => {
    if (!keepDir) fs.rmSync(dir, { recursive: true, force: true });
  };

  let port = 0;
  try {
    await fsp.writeFile(
      path.join(dir, 'passwd'),
      users.map((u) => `${u.user}:{PLAIN}${u.password}`).join('\n') + '\n',
      { mode: 0o644 },
    );
    for (const sub of ['mail', 'home']) {
      const p = path.join(dir, sub);
      await fsp.mkdir(p, { mode: 0o755 });
      if (!id.rootless) await fsp.chown(p, id.uid, id.gid);
    }

    // A free port can be taken by another worker between probing and binding: retry.
    let lastError: unknown;
    for (let attempt = 1; attempt <= 5; attempt++) {
      port = await getFreePort();
      await fsp.writeFile(configPath, renderConfig(dir, port, id));
      try {
        await startDaemon(dovecotBin, configPath, path.join(dir, 'startup.out'));
        live.set(dir, { dir, keepDir });
        installExitHook();
        await waitForPort(port, 10_000);
        // The listeners are bound before the master forks, so the port answers a moment before
        // master.pid exists; stop() and the exit hook need the pid file.
        const deadline = Date.now() + 5000;
        while (readPid(dir) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        if (readPid(dir) === undefined) throw new Error('master.pid did not appear within 5 s');
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err;
        // Make sure nothing half-started stays around before trying the next port.
        await run(doveadmBin, ['-c', configPath, 'stop'], 5000).catch(() => undefined);
        live.delete(dir);
        const log = readLogFile(logPath);
        if (!/Address already in use|bind\(/i.test(`${log}\n${String(err)}`)) break;
      }
    }
    if (lastError) {
      throw new Error(
        `startDovecot: Dovecot did not start: ${lastError instanceof Error ? lastError.message : String(lastError)}\n` +
          `--- ${logPath} ---\n${readLogFile(logPath)}`,
      );
    }
  } catch (err) {
    cleanupDir();
    throw err;
  }

  const passwordOf = (user: string): string => {
    const u = users.find((x) => x.user === user);
    if (!u) throw new Error(`dovecot: unknown user ${user} (known: ${users.map((x) => x.user).join(', ')})`);
    return u.password;
  };

  const clientOptions = (user: string = users[0].user): ImapFlowOptions => ({
    host: '127.0.0.1',
    port,
    secure: false,
    auth: { user, pass: passwordOf(user) },
    logger: false,
  });

  // One cached admin connection per user; commands for a user are serialized.
  const admins = new Map<string, ImapFlow>();
  const chains = new Map<string, Promise<unknown>>();
  let stopped = false;

  async function adminClient(user: string): Promise<ImapFlow> {
    const existing = admins.get(user);
    if (existing && existing.usable) return existing;
    if (existing) {
      admins.delete(user);
      existing.close();
    }
    const client = new ImapFlow({ ...clientOptions(user), disableAutoIdle: true, socketTimeout: 30_000 });
    client.on('error', () => {
      // Reported through the failing command; a broken client is replaced on next use.
    });
    await withTimeout(client.connect(), 10_000, `IMAP login as ${user}`);
    admins.set(user, client);
    return client;
  }

  function withAdmin<T>(user: string, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
    if (stopped) return Promise.reject(new Error('dovecot: already stopped'));
    const task = async (): Promise<T> => fn(await adminClient(user));
    const prev = chains.get(user) ?? Promise.resolve();
    const next = withTimeout(
      prev.then(task, task),
      30_000,
      `dovecot admin command as ${user}`,
    );
    chains.set(
      user,
      next.catch(() => undefined),
    );
    return next;
  }

  async function uidValidityOf(client: ImapFlow, mailbox: string): Promise<bigint | undefined> {
    try {
      const st = await client.status(mailbox, { uidValidity: true });
      return st ? st.uidValidity : undefined;
    } catch {
      return undefined;
    }
  }

  const instance: DovecotInstance = {
    host: '127.0.0.1',
    port,
    users,
    dir,
    configPath,
    logPath,

    append(user, mailbox, raw, flags, internalDate) {
      return withAdmin(user, async (client) => {
        const doAppend = () => client.append(mailbox, raw, flags, internalDate);
        let res;
        try {
          res = await doAppend();
        } catch (err) {
          const e = err as { serverResponseCode?: string; responseText?: string };
          if (e.serverResponseCode !== 'TRYCREATE' && !/TRYCREATE|does not exist/i.test(e.responseText ?? '')) {
            throw err;
          }
          await client.mailboxCreate(mailbox);
          res = await doAppend();
        }
        if (!res) throw new Error(`dovecot: APPEND to ${mailbox} as ${user} failed`);
        return { uid: res.uid, uidValidity: res.uidValidity };
      });
    },

    recreateMailbox(user, mailbox) {
      return withAdmin(user, async (client) => {
        const isInbox = mailbox.toUpperCase() === 'INBOX';
        const before = await uidValidityOf(client, mailbox);
        if (before === undefined) throw new Error(`dovecot: mailbox ${mailbox} of ${user} does not exist`);
        if (!isInbox) {
          await client.mailboxDelete(mailbox);
          await client.mailboxCreate(mailbox);
          await client.mailboxSubscribe(mailbox).catch(() => false);
        } else {
          await run(doveadmBin, ['-c', configPath, 'expunge', '-u', user, 'mailbox', 'INBOX', 'all']);
        }
        let after = await uidValidityOf(client, mailbox);
        if (after === undefined) throw new Error(`dovecot: ${mailbox} of ${user} is gone after re-creating it`);
        if (after === before) {
          // Same second, or INBOX: set a new UIDVALIDITY explicitly.
          const wanted = (before > after ? before : after) + 1n;
          await run(doveadmBin, [
            '-c',
            configPath,
            'mailbox',
            'update',
            '-u',
            user,
            '--uid-validity',
            String(wanted),
            mailbox,
          ]);
          after = await uidValidityOf(client, mailbox);
          if (after === undefined || after === before) {
            throw new Error(`dovecot: could not change UIDVALIDITY of ${mailbox} (still ${String(before)})`);
          }
        }
        return { before, after };
      });
    },

    clientOptions,

    env(user = users[0].user) {
      return {
        IMAP_HOST: '127.0.0.1',
        IMAP_PORT: String(port),
        IMAP_SECURE: 'false',
        IMAP_USER: user,
        IMAP_PASSWORD: passwordOf(user),
        IMAP_MAILBOX: 'INBOX',
      };
    },

    readLog() {
      return readLogFile(logPath);
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      const clients = [...admins.values()];
      admins.clear();
      await Promise.all(
        clients.map(async (c) => {
          try {
            await withTimeout(c.logout(), 2000, 'logout');
          } catch {
            c.close();
          }
        }),
      );
      const pid = readPid(dir);
      const children = pid ? dovecotChildren(pid) : [];
      // `doveadm stop` signals the master, which stops its sessions and exits about a second
      // later. doveadm then waits until the pid is gone, which includes waiting for init to reap
      // the zombie (slow on some machines): we only wait for the master to be dead.
      const doveadm = spawn(doveadmBin, ['-c', configPath, 'stop'], { stdio: 'ignore' });
      doveadm.on('error', () => undefined);
      doveadm.unref();
      if (pid) {
        const deadline = Date.now() + 5000;
        while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        if (isAlive(pid)) killQuietly(pid, 'SIGKILL');
        // Whatever the master left (sessions, log/stats helpers) must not outlive the dir.
        for (const child of children) if (isAlive(child)) killQuietly(child, 'SIGKILL');
      }
      await waitForPortClosed(port, 3000);
      live.delete(dir);
      if (!keepDir) await fsp.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    },
  };
  return instance;
}
