/**
 * The IMAP watcher: the first stage of the spine. It holds the shared mailbox (one instance at a
 * time, through a PostgreSQL advisory lock), IDLEs on it, and stores every message above the UID
 * cursor durably (raw bytes + cursor in one transaction, see inbound-store.ts) before anything
 * else looks at it.
 *
 * Life of a watcher:
 *
 *   waiting-for-lock ──(pg_try_advisory_lock every ~1 s)──► connecting ──► fetching ◄──► idle
 *          ▲                                                    ▲              │
 *          └──── lock connection lost ◄─────────────────────────┴── backoff ◄──┘ close / error / watchdog
 *
 * - imapflow never reconnects by itself: every connection is a new ImapFlow, 'error' and 'close'
 *   are always listened to, and the watcher reconnects with exponential backoff (0.5 s, 1 s, 2 s …
 *   capped at 30 s).
 * - Catch-up (on every connect and every EXISTS): read the cursor for (mailbox, UIDVALIDITY), list
 *   UIDs above it, then fetch and store them one transaction per message. No IMAP command is ever
 *   issued inside a `for await` over fetch(): UIDs are collected first, small sources are fetched
 *   in one FETCH and buffered (bounded), and large messages are streamed with download().
 * - \Seen is never touched: imapflow fetches sources and downloads with BODY.PEEK.
 * - Watchdog: every `watchdogIntervalMs` without a completed check, IDLE is broken for a NOOP-style
 *   probe (SELECT again, then a FETCH only if UIDNEXT shows new mail) that must answer
 *   within half that interval; otherwise the client is destroyed and a new one connects. A dead or
 *   black-holed connection is noticed within ~2 × the interval, and so is a mailbox re-created
 *   under the open session (Dovecot tells such a session nothing) or a lost EXISTS.
 * - After filing: rows in state filed/quarantined/duplicate get the keyword (`keep`) or are moved
 *   (`move`), then `server_action_done` is set. Nothing is ever deleted.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { pgArray, sqlOf } from '../db/sql.ts';
import { advanceCursor, readCursor, storeRaw, storeRawBatch, type StoreRawInput } from './inbound-store.ts';
import type { RawCache } from './raw-cache.ts';

export type ImapWatcherState = 'waiting-for-lock' | 'connecting' | 'idle' | 'fetching' | 'disconnected';

export type ImapAuth = { pass: string } | { accessToken: () => Promise<string> };

export interface ImapConnection {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  auth: ImapAuth;
  /** Passed to tls.connect (e.g. `{ rejectUnauthorized: false }` for a self-signed test server). */
  tls?: ImapFlowOptions['tls'];
}

export interface ImapWatcherOptions {
  /** Delay before imapflow starts IDLE after the last command (low: sub-second pickup). */
  idleDelayMs: number;
  /** imapflow's socket inactivity timeout; also bounds connect and greeting. */
  socketTimeoutMs: number;
  /** Quiet this long → NOOP probe; a dead connection is noticed within ~2 × this. */
  watchdogIntervalMs: number;
  /** healthy() turns false when the mailbox has been unreachable longer than this. */
  alertAfterMs: number;
  afterFiling: 'keep' | 'move';
  keyword: string;
  moveTo: string;
  /** Store new messages with `archive: true` (file without acknowledging anyone). */
  archiveMode?: boolean;
  /** Messages larger than this (RFC822.SIZE) are streamed with download(); default 2 MB. */
  largeMessageBytes?: number;
  /** How often a waiting instance tries the advisory lock; default 1000 ms. */
  lockPollMs?: number;
  /** Longest pause between reconnect attempts; default 30 s. */
  backoffMaxMs?: number;
}

export interface ImapWatcherDeps {
  orm: MikroORM;
  connection: ImapConnection;
  mailbox: string;
  log: Logger;
  metrics?: Metrics;
  options: ImapWatcherOptions;
  /** Called with the ids of newly stored (non-duplicate) messages: wakes the processing stage. */
  onStored?: (ids: string[]) => void;
  /** Database URL for the dedicated advisory-lock connection. */
  lockUrl: string;
  /** Where newly stored raw messages are handed to the processor (an optimisation). */
  rawCache?: RawCache;
  /** Appears in the lock connection's application_name (`mailroom-imap-lock:<name>`). */
  instanceName?: string;
}

export interface ImapWatcherStatus {
  state: ImapWatcherState;
  /** Connected, logged in and the mailbox selected. */
  connected: boolean;
  lastError?: string;
  /** Unix time (ms) since when the mailbox has been unreachable while this instance holds it. */
  downSinceMs?: number;
  /** How long it has been unreachable, in ms (derived from downSinceMs). */
  downForMs?: number;
  holdsLock: boolean;
  uidValidity?: string;
}

/** First half of the two-int advisory lock key; the second half is hashtext(mailbox). */
export const IMAP_LOCK_CLASS = 7_291_002;

const BATCH_MAX_MESSAGES = 100;
const BATCH_MAX_BYTES = 16 * 1024 * 1024;
/** How long the watcher waits for room in the raw cache once the processor stops taking from it. */
const RAW_CACHE_QUIET_MS = 250;
const DOWNLOAD_CHUNK_BYTES = 1024 * 1024;
const ACTION_BATCH = 500;

interface Session {
  id: number;
  client: ImapFlow;
  closed: boolean;
  closedPromise: Promise<void>;
  uidValidity?: string;
  /** At least one catch-up finished: the connection really worked. */
  caughtUp: boolean;
  /** When the last catch-up finished: the server answered then. */
  lastCheck: number;
  /** The next catch-up SELECTs the mailbox again first (watchdog probe). */
  reselect: boolean;
  /** A watchdog probe is running and must finish by then. */
  probeDeadline?: number;
  closeReason?: string;
}

class TimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { code?: string; responseText?: string; authenticationFailed?: boolean };
    const parts = [e.message];
    if (e.responseText && !e.message.includes(e.responseText)) parts.push(e.responseText);
    if (e.code && !e.message.includes(e.code)) parts.push(`(${e.code})`);
    return parts.join(' ');
  }
  return String(err);
}

/** Compact IMAP sequence set from ascending UIDs: 1,2,3,7 → "1:3,7". */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** imapflow's logger interface on top of pino, one level quieter (its errors are our reconnects). */
function imapflowLogger(log: Logger): NonNullable<ImapFlowOptions['logger']> {
  const child = log.child({ component: 'imapflow' });
  const strip = (obj: any) => {
    if (obj && typeof obj === 'object') {
      const { msg, ...rest } = obj;
      return [rest, typeof msg === 'string' ? msg : undefined] as const;
    }
    return [{}, String(obj)] as const;
  };
  return {
    trace: () => undefined,
    debug: (o: any) => {
      if (child.isLevelEnabled('trace')) child.trace(...strip(o));
    },
    info: (o: any) => child.debug(...strip(o)),
    warn: (o: any) => child.info(...strip(o)),
    error: (o: any) => child.warn(...strip(o)),
    fatal: (o: any) => child.error(...strip(o)),
  };
}

export class ImapWatcher {
  readonly mailbox: string;
  /** application_name of the lock connection (shown in pg_stat_activity). */
  readonly lockApplicationName: string;

  private readonly deps: ImapWatcherDeps;
  private readonly log: Logger;
  private readonly opts: Required<Omit<ImapWatcherOptions, 'archiveMode'>> & { archiveMode: boolean };

  private running = false;
  private loop?: Promise<void>;
  private state: ImapWatcherState = 'disconnected';
  private lastError?: string;
  private downSince?: number;
  private alerted = false;
  private healthTimer?: NodeJS.Timeout;

  private lockClient?: pg.Client;
  private holdsLock = false;
  private lockCheckTimer?: NodeJS.Timeout;

  private session?: Session;
  private sessionSeq = 0;
  private lastActivity = 0;
  private pumping?: Promise<void>;
  private catchUpRequested = false;
  private actionsRequested = false;
  private actionWaiters: { resolve: (n: number) => void }[] = [];
  private sleepers = new Set<() => void>();

  constructor(deps: ImapWatcherDeps) {
    this.deps = deps;
    this.mailbox = deps.mailbox;
    this.log = deps.log.child({ component: 'imap-watcher', mailbox: deps.mailbox });
    this.opts = {
      largeMessageBytes: 2 * 1024 * 1024,
      lockPollMs: 1000,
      backoffMaxMs: 30_000,
      ...deps.options,
      archiveMode: deps.options.archiveMode ?? false,
    };
    const name = (deps.instanceName ?? randomUUID().slice(0, 8)).replace(/[^\w.:@-]/g, '_');
    this.lockApplicationName = `mailroom-imap-lock:${name}`.slice(0, 63);
  }

  // ── public API ──────────────────────────────────────────────────────────────────────────────

  start(): void {
    if (this.running) return;
    this.running = true;
    this.healthTimer = setInterval(() => this.checkHealth(), 1000);
    this.healthTimer.unref();
    this.loop = this.run().catch((err) => {
      this.log.error({ err }, 'IMAP watcher loop failed');
    });
  }

  /** Finishes the message being stored (bounded), logs out, then releases the mailbox lock. */
  async stop(): Promise<void> {
    if (!this.running) {
      await this.loop;
      return;
    }
    this.running = false;
    this.wakeAll();
    const s = this.session;
    if (s && !s.closed) {
      if (this.pumping) await withTimeout(this.pumping, 10_000, 'finishing the current message').catch(() => undefined);
      await withTimeout(s.client.logout(), 2000, 'IMAP LOGOUT').catch(() => undefined);
      s.client.close();
    }
    await this.loop;
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    this.settleActionWaiters(0);
    this.state = 'disconnected';
    this.deps.metrics?.mailboxUp.set(0);
  }

  status(): ImapWatcherStatus {
    const s = this.session;
    const connected = !!s && !s.closed && !!s.uidValidity && (this.state === 'idle' || this.state === 'fetching');
    return {
      state: this.state,
      connected,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.downSince !== undefined ? { downSinceMs: this.downSince, downForMs: Date.now() - this.downSince } : {}),
      holdsLock: this.holdsLock,
      ...(connected && s?.uidValidity ? { uidValidity: s.uidValidity } : {}),
    };
  }

  /**
   * False when this instance holds the mailbox but has not been able to reach it (connect, login,
   * token refresh, select) for longer than alertAfterMs. A standby instance waiting for the lock
   * is healthy.
   */
  healthy(): boolean {
    if (this.downSince === undefined) return true;
    return Date.now() - this.downSince < this.opts.alertAfterMs;
  }

  /** Ask for the after-filing server actions to run soon (e.g. after the handler stage filed mail). */
  requestServerActions(): void {
    this.actionsRequested = true;
    const s = this.session;
    if (s && this.canWork(s)) this.pump(s);
  }

  /**
   * Runs the after-filing actions now (serialised with catch-up) and resolves with the number of
   * messages acted on; 0 when the mailbox is not connected (they run on the next connect).
   */
  applyServerActions(): Promise<number> {
    const s = this.session;
    if (!s || !this.canWork(s) || !s.uidValidity) return Promise.resolve(0);
    return new Promise<number>((resolve) => {
      this.actionWaiters.push({ resolve });
      this.requestServerActions();
    });
  }

  // ── main loop ───────────────────────────────────────────────────────────────────────────────

  private async run(): Promise<void> {
    try {
      while (this.running) {
        await this.acquireLock();
        if (!this.running || !this.holdsLock) continue;
        this.downSince ??= Date.now();
        let attempt = 0;
        while (this.running && this.holdsLock) {
          const outcome = await this.runSession();
          if (!this.running || !this.holdsLock) break;
          if (outcome === 'worked') attempt = 0;
          const delay = Math.min(this.opts.backoffMaxMs, 500 * 2 ** attempt);
          attempt = Math.min(attempt + 1, 16);
          this.log.info({ delayMs: delay, attempt }, 'reconnecting to the mailbox after a pause');
          await this.sleep(delay);
        }
        this.setState(this.running ? 'waiting-for-lock' : 'disconnected');
      }
    } finally {
      await this.releaseLock();
      this.downSince = undefined;
      this.alerted = false;
    }
  }

  // ── advisory lock ───────────────────────────────────────────────────────────────────────────

  private async acquireLock(): Promise<void> {
    this.setState('waiting-for-lock');
    this.downSince = undefined;
    this.alerted = false;
    let announced = false;
    while (this.running && !this.holdsLock) {
      try {
        const client = this.lockClient ?? (await this.openLockClient());
        const res = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, hashtext($2)) as ok', [
          IMAP_LOCK_CLASS,
          this.mailbox,
        ]);
        if (res.rows[0]?.ok && this.lockClient === client) {
          if (!this.running) {
            await client.query('select pg_advisory_unlock($1::int, hashtext($2))', [IMAP_LOCK_CLASS, this.mailbox]).catch(() => undefined);
            return;
          }
          this.holdsLock = true;
          this.log.info({ lockConnection: this.lockApplicationName }, 'holding the mailbox lock: this instance reads the mailbox');
          this.lockCheckTimer = setInterval(() => void this.checkLockConnection(client), Math.max(1000, this.opts.lockPollMs * 5));
          this.lockCheckTimer.unref();
          return;
        }
        if (!announced) {
          announced = true;
          this.log.info('another instance holds the mailbox lock; waiting to take over');
        }
      } catch (err) {
        this.lastError = `lock connection: ${errorText(err)}`;
        this.log.warn({ err: errorText(err) }, 'could not take the mailbox lock; retrying');
        this.dropLockClient();
      }
      await this.sleep(this.opts.lockPollMs);
    }
  }

  private async openLockClient(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.deps.lockUrl,
      application_name: this.lockApplicationName,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      connectionTimeoutMillis: 10_000,
    });
    const lost = (why: string) => this.onLockConnectionLost(client, why);
    client.on('error', (err) => lost(errorText(err)));
    client.on('end', () => lost('connection ended'));
    this.lockClient = client;
    try {
      await client.connect();
    } catch (err) {
      if (this.lockClient === client) this.lockClient = undefined;
      client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  private async checkLockConnection(client: pg.Client): Promise<void> {
    if (client !== this.lockClient || !this.holdsLock) return;
    try {
      await withTimeout(client.query('select 1'), 5000, 'lock connection check');
    } catch (err) {
      this.onLockConnectionLost(client, errorText(err));
    }
  }

  /** The DB session holding the lock is gone, so the lock is too: stop touching the mailbox now. */
  private onLockConnectionLost(client: pg.Client, why: string): void {
    if (client !== this.lockClient) return;
    this.lockClient = undefined;
    if (this.lockCheckTimer) clearInterval(this.lockCheckTimer);
    this.lockCheckTimer = undefined;
    client.end().catch(() => undefined);
    if (!this.holdsLock) return;
    this.holdsLock = false;
    this.lastError = `lost the mailbox lock: ${why}`;
    this.log.warn({ reason: why }, 'lost the mailbox lock connection; leaving the mailbox alone and waiting for the lock again');
    const s = this.session;
    if (s && !s.closed) {
      s.closeReason = 'lock lost';
      s.client.close();
    }
    this.wakeAll();
  }

  private dropLockClient(): void {
    const c = this.lockClient;
    this.lockClient = undefined;
    if (c) c.end().catch(() => undefined);
  }

  private async releaseLock(): Promise<void> {
    if (this.lockCheckTimer) clearInterval(this.lockCheckTimer);
    this.lockCheckTimer = undefined;
    const c = this.lockClient;
    this.lockClient = undefined;
    const held = this.holdsLock;
    this.holdsLock = false;
    if (!c) return;
    if (held) {
      await withTimeout(c.query('select pg_advisory_unlock($1::int, hashtext($2))', [IMAP_LOCK_CLASS, this.mailbox]), 2000, 'advisory unlock').catch(
        () => undefined,
      );
    }
    await withTimeout(c.end(), 2000, 'closing the lock connection').catch(() => undefined);
  }

  // ── one IMAP connection ─────────────────────────────────────────────────────────────────────

  private async runSession(): Promise<'worked' | 'failed'> {
    const { connection: conn } = this.deps;
    this.setState('connecting');
    let auth: ImapFlowOptions['auth'];
    if ('accessToken' in conn.auth) {
      try {
        const accessToken = await conn.auth.accessToken();
        auth = { user: conn.user, accessToken };
      } catch (err) {
        this.noteFailure(`OAuth access token refresh failed: ${errorText(err)}`);
        return 'failed';
      }
    } else {
      auth = { user: conn.user, pass: conn.auth.pass };
    }
    if (!this.running || !this.holdsLock) return 'failed';

    const sock = Math.max(1000, this.opts.socketTimeoutMs);
    const client = new ImapFlow({
      host: conn.host,
      port: conn.port,
      secure: conn.secure,
      ...(conn.tls ? { tls: conn.tls } : {}),
      auth,
      logger: imapflowLogger(this.log),
      autoIdleDelay: this.opts.idleDelayMs,
      socketTimeout: sock,
      connectionTimeout: Math.min(90_000, Math.max(2000, sock)),
      greetingTimeout: Math.min(16_000, Math.max(2000, sock)),
    });
    let resolveClosed!: () => void;
    const session: Session = {
      id: ++this.sessionSeq,
      client,
      closed: false,
      closedPromise: new Promise<void>((r) => (resolveClosed = r)),
      caughtUp: false,
      lastCheck: Date.now(),
      reselect: false,
    };
    this.session = session;
    client.on('error', (err: unknown) => {
      this.lastError = errorText(err);
      this.log.warn({ err: this.lastError, session: session.id }, 'IMAP connection error');
      session.closeReason ??= this.lastError;
      client.close();
    });
    client.on('close', () => {
      session.closed = true;
      resolveClosed();
      this.wakeAll();
    });
    client.on('response', () => this.touch());
    client.on('exists', () => {
      this.touch();
      if (session.uidValidity) {
        this.catchUpRequested = true;
        if (this.canWork(session)) this.pump(session);
      }
    });

    try {
      await withTimeout(client.connect(), Math.min(90_000, Math.max(2000, sock)) + 2000, 'IMAP connect');
      if (!this.running || !this.holdsLock) throw new Error('stopped while connecting');
      const mb = await withTimeout(client.mailboxOpen(this.mailbox), sock, `SELECT ${this.mailbox}`);
      session.uidValidity = String(mb.uidValidity);
    } catch (err) {
      const e = err as { authenticationFailed?: boolean };
      this.noteFailure(`${e.authenticationFailed ? 'IMAP login failed' : 'IMAP connect failed'}: ${errorText(err)}`);
      client.close();
      await session.closedPromise;
      if (this.session === session) this.session = undefined;
      return 'failed';
    }

    this.markUp(session);
    this.catchUpRequested = true;
    this.actionsRequested = true;
    this.pump(session);
    const tick = Math.max(250, Math.floor(this.opts.watchdogIntervalMs / 2));
    const watchdog = setInterval(() => this.watchdogTick(session), tick);
    watchdog.unref();
    await session.closedPromise;
    clearInterval(watchdog);
    if (this.pumping) await this.pumping.catch(() => undefined);
    if (this.session === session) this.session = undefined;
    this.settleActionWaiters(0);
    this.deps.metrics?.mailboxUp.set(0);
    if (this.running && this.holdsLock) {
      const reason = session.closeReason ?? this.lastError ?? 'connection closed';
      this.downSince ??= Date.now();
      this.setState('disconnected');
      this.log.warn({ reason, session: session.id }, 'IMAP connection closed');
    }
    return session.caughtUp ? 'worked' : 'failed';
  }

  private canWork(s: Session): boolean {
    return this.running && this.holdsLock && this.session === s && !s.closed && !!s.uidValidity;
  }

  private markUp(s: Session): void {
    const wasDown = this.downSince !== undefined ? Date.now() - this.downSince : undefined;
    this.downSince = undefined;
    if (this.alerted) this.log.info({ downForMs: wasDown }, 'mailbox reachable again');
    this.alerted = false;
    this.lastError = undefined;
    this.touch();
    this.setState('idle');
    this.deps.metrics?.mailboxUp.set(1);
    this.log.info({ uidValidity: s.uidValidity, session: s.id }, 'watching the mailbox (IDLE)');
  }

  private noteFailure(message: string): void {
    this.lastError = message;
    this.downSince ??= Date.now();
    this.setState('disconnected');
    this.deps.metrics?.mailboxUp.set(0);
    this.log.warn({ reason: message }, 'mailbox not reachable');
  }

  private checkHealth(): void {
    if (this.downSince === undefined || this.alerted) return;
    const downFor = Date.now() - this.downSince;
    if (downFor >= this.opts.alertAfterMs) {
      this.alerted = true;
      this.log.error(
        { downForMs: downFor, reason: this.lastError ?? 'not connected' },
        'ALERT: the mailbox has been unreachable longer than ingest.alertAfterMs; no new mail is being read',
      );
    }
  }

  private touch(): void {
    this.lastActivity = Date.now();
    this.deps.metrics?.mailboxLastActivity.set(this.lastActivity / 1000);
  }

  private setState(state: ImapWatcherState): void {
    this.state = state;
  }

  /**
   * The watchdog. Every watchdogIntervalMs without a completed check, a probe runs: a catch-up
   * that starts with a fresh SELECT and so breaks IDLE, proves the server answers,
   * notices a mailbox re-created under the open session (Dovecot says nothing to a session whose
   * selected mailbox was deleted) and fetches mail whose EXISTS never arrived. A probe that does
   * not finish within half the interval, or any work that makes no progress for 2 × the interval,
   * means a dead connection: the client is destroyed and a new one connects. A black-holed
   * connection is thus noticed within ~2 × watchdogIntervalMs.
   */
  private watchdogTick(s: Session): void {
    if (!this.canWork(s)) return;
    const w = this.opts.watchdogIntervalMs;
    const now = Date.now();
    if (this.pumping) {
      const probeLate = s.probeDeadline !== undefined && now > s.probeDeadline;
      const stalled = now - this.lastActivity > 2 * w;
      if (probeLate || stalled) {
        const why = probeLate ? `watchdog: the server did not answer a check within ${Math.floor(w / 2)} ms` : `watchdog: no progress for ${now - this.lastActivity} ms`;
        this.log.warn({ reason: why }, 'watchdog: dropping the IMAP connection');
        s.closeReason = why;
        this.lastError = why;
        s.client.close();
      }
      return;
    }
    if (now - s.lastCheck < w) return;
    s.probeDeadline = now + Math.max(500, Math.floor(w / 2));
    s.reselect = true;
    this.catchUpRequested = true;
    this.pump(s);
  }

  // ── serialised IMAP work: catch-up and server actions ───────────────────────────────────────

  private pump(s: Session): void {
    if (this.pumping) return;
    this.pumping = (async () => {
      try {
        while (this.canWork(s) && (this.catchUpRequested || this.actionsRequested)) {
          this.setState('fetching');
          if (this.catchUpRequested) {
            this.catchUpRequested = false;
            await this.catchUp(s);
            if (!this.canWork(s)) break;
            s.caughtUp = true;
            s.lastCheck = Date.now();
            s.probeDeadline = undefined;
            this.actionsRequested = true;
            continue;
          }
          this.actionsRequested = false;
          const n = await this.serverActions(s);
          this.settleActionWaiters(n);
        }
      } catch (err) {
        if (this.canWork(s)) {
          const text = errorText(err);
          this.lastError = text;
          this.log.warn({ err: text }, 'mailbox catch-up failed; reconnecting');
          s.closeReason = `catch-up failed: ${text}`;
          s.client.close();
        }
      } finally {
        this.pumping = undefined;
        if (this.canWork(s)) this.setState('idle');
      }
    })();
  }

  private settleActionWaiters(n: number): void {
    for (const w of this.actionWaiters.splice(0)) w.resolve(n);
  }

  private async catchUp(s: Session): Promise<void> {
    const client = s.client;
    let skipIfNothingNew = false;
    if (s.reselect) {
      // The watchdog probe. SELECT again rather than STATUS: Dovecot answers STATUS on the selected
      // mailbox from the session's own (possibly stale) view, and tells a session nothing when its
      // mailbox is deleted and re-created underneath it. A fresh SELECT reports the real
      // UIDVALIDITY and UIDNEXT.
      s.reselect = false;
      const mb = await client.mailboxOpen(this.mailbox);
      const fresh = String(mb.uidValidity);
      if (fresh !== s.uidValidity) {
        this.log.warn({ before: s.uidValidity, after: fresh }, 'UIDVALIDITY changed: re-scanning the mailbox under the new value');
        s.uidValidity = fresh;
      }
      skipIfNothingNew = true;
    } else {
      const current = client.mailbox ? String(client.mailbox.uidValidity) : undefined;
      if (current && current !== s.uidValidity) {
        this.log.warn({ before: s.uidValidity, after: current }, 'UIDVALIDITY changed: re-scanning the mailbox under the new value');
        s.uidValidity = current;
      }
    }
    const uidValidity = s.uidValidity!;
    const cursor = await readCursor(this.deps.orm.em.fork() as EntityManager, this.mailbox, uidValidity);
    const box = client.mailbox;
    if (!box) throw new Error(`${this.mailbox} is no longer selected`);
    if (box.exists === 0) return;
    // Right after SELECT, UIDNEXT is exact: skip the FETCH when nothing is above the cursor.
    if (skipIfNothingNew && box.uidNext !== undefined && box.uidNext - 1 <= cursor) return;

    // 1. Collect the UIDs above the cursor (no other command inside the loop).
    const pending: { uid: number; size: number; internalDate?: Date }[] = [];
    for await (const m of client.fetch(`${cursor + 1}:*`, { uid: true, size: true, internalDate: true }, { uid: true })) {
      // `N:*` also returns the last message when nothing is newer than N.
      if (m.uid > cursor) pending.push({ uid: m.uid, size: m.size ?? 0, internalDate: asDate(m.internalDate) });
    }
    if (!pending.length) return;
    pending.sort((a, b) => a.uid - b.uid);
    this.log.debug({ count: pending.length, from: pending[0]!.uid, to: pending.at(-1)!.uid }, 'catching up');

    // 2. Fetch and store them in UID order: small ones a batch per transaction, large ones streamed alone.
    //    While one batch is written to the database the next is fetched (otherwise the IMAP
    //    connection and the database each wait for the other). Stores still run one after the
    //    other in UID order, so the cursor never passes a message that is not stored.
    const large = this.opts.largeMessageBytes;
    let storing: Promise<void> = Promise.resolve();
    let storeFailed = false;
    const storeInOrder = (items: { uid: number; raw: Buffer; internalDate?: Date }[]) => {
      storing = storing.then(async () => this.notifyStored(await this.storeBatch(s, items)));
      // Awaited in `finally`; until then a failure only stops further fetching.
      storing.catch(() => (storeFailed = true));
    };
    let i = 0;
    try {
      while (i < pending.length && !storeFailed) {
        if (!this.canWork(s)) return;
        if (pending[i]!.size > large) {
          await storing;
          const m = pending[i++]!;
          const id = await this.storeLarge(s, m.uid, m.internalDate);
          if (id) this.notifyStored([id]);
          continue;
        }
        const batch: typeof pending = [];
        let bytes = 0;
        while (
          i < pending.length &&
          pending[i]!.size <= large &&
          batch.length < BATCH_MAX_MESSAGES &&
          (batch.length === 0 || bytes + pending[i]!.size <= BATCH_MAX_BYTES)
        ) {
          bytes += pending[i]!.size;
          batch.push(pending[i++]!);
        }
        // Draining a backlog, fetch no further ahead than the processor can take from memory.
        await this.deps.rawCache?.room(RAW_CACHE_QUIET_MS);
        const wanted = new Set(batch.map((b) => b.uid));
        const sources = new Map<number, { source: Buffer; internalDate?: Date }>();
        for await (const f of client.fetch(uidSet([...wanted]), { uid: true, source: true, internalDate: true }, { uid: true })) {
          if (f.source && wanted.has(f.uid)) sources.set(f.uid, { source: f.source, internalDate: asDate(f.internalDate) });
        }
        this.touch();
        if (!this.canWork(s)) return;
        const items: { uid: number; raw: Buffer; internalDate?: Date }[] = [];
        for (const b of batch) {
          const got = sources.get(b.uid);
          sources.delete(b.uid);
          if (!got) {
            this.log.warn({ uid: b.uid }, 'message disappeared from the mailbox before it could be fetched');
            continue;
          }
          items.push({ uid: b.uid, raw: got.source, internalDate: got.internalDate ?? b.internalDate });
        }
        // One batch waits for the one before it: at most two batches are held in memory.
        await storing;
        storeInOrder(items);
      }
    } finally {
      await storing;
    }
  }

  /** Streams a large message through download() into storeRaw: it is never one Buffer. */
  private async storeLarge(s: Session, uid: number, internalDate?: Date): Promise<string | undefined> {
    const dl = await s.client.download(String(uid), undefined, { uid: true, chunkSize: DOWNLOAD_CHUNK_BYTES });
    const content = dl?.content;
    if (!content) {
      this.log.warn({ uid }, 'message disappeared from the mailbox before it could be downloaded');
      return undefined;
    }
    const touch = () => this.touch();
    async function* tap(stream: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
      for await (const chunk of stream) {
        touch();
        yield chunk;
      }
    }
    try {
      return await this.store(s, uid, tap(content), internalDate);
    } finally {
      if (!content.destroyed) content.destroy();
    }
  }

  /**
   * A fetched batch of small messages in one transaction, with the cursor advanced in it: one
   * commit per batch instead of per message. Returns the ids of newly stored messages.
   */
  private async storeBatch(s: Session, items: { uid: number; raw: Buffer; internalDate?: Date }[]): Promise<string[]> {
    if (items.length === 0) return [];
    const results = await this.deps.orm.em.fork().transactional(async (em) => {
      const stored = await storeRawBatch(em as EntityManager, { mailbox: this.mailbox, uidValidity: s.uidValidity!, archive: this.opts.archiveMode }, items);
      await advanceCursor(em as EntityManager, this.mailbox, s.uidValidity!, Math.max(...items.map((it) => it.uid)));
      return stored.map((res, i) => ({ uid: items[i]!.uid, res }));
    });
    this.touch();
    const ids: string[] = [];
    for (const { uid, res } of results) {
      if (res.alreadyStored) continue;
      if (res.duplicateOf) {
        this.log.info({ uid, id: res.id, duplicateOf: res.duplicateOf }, 'message already stored before (same Message-ID and bytes): recorded as duplicate');
        continue;
      }
      this.deps.metrics?.ingestStored.inc();
      ids.push(res.id);
    }
    // results[i] belongs to items[i]: hand the bytes just stored to the processor.
    results.forEach(({ res }, i) => {
      if (!res.alreadyStored && !res.duplicateOf) this.deps.rawCache?.put(res.id, items[i]!.raw);
    });
    return ids;
  }

  /** One message, one transaction. Returns the id when a new (non-duplicate) row was stored. */
  private async store(s: Session, uid: number, raw: StoreRawInput['raw'], internalDate?: Date): Promise<string | undefined> {
    const res = await this.deps.orm.em.fork().transactional((em) =>
      storeRaw(em as EntityManager, {
        source: 'imap',
        mailbox: this.mailbox,
        uidValidity: s.uidValidity!,
        uid,
        raw,
        internalDate,
        archive: this.opts.archiveMode,
      }),
    );
    this.touch();
    if (res.alreadyStored) return undefined;
    if (res.duplicateOf) {
      this.log.info({ uid, id: res.id, duplicateOf: res.duplicateOf }, 'message already stored before (same Message-ID and bytes): recorded as duplicate');
      return undefined;
    }
    this.deps.metrics?.ingestStored.inc();
    this.log.debug({ uid, id: res.id }, 'message stored');
    return res.id;
  }

  private notifyStored(ids: string[]): void {
    if (!ids.length || !this.deps.onStored) return;
    try {
      this.deps.onStored(ids);
    } catch (err) {
      this.log.warn({ err: errorText(err) }, 'onStored callback threw');
    }
  }

  /** keep → add the keyword; move → move to moveTo. Never delete. */
  private async serverActions(s: Session): Promise<number> {
    const sql = sqlOf(this.deps.orm.em.fork() as EntityManager);
    const client = s.client;
    let total = 0;
    let createdTarget = false;
    while (this.canWork(s)) {
      const rows = await sql<{ id: string; uid: string }>(
        `select id, uid from inbound_message
         where mailbox = ? and uid_validity = ? and uid is not null and not server_action_done
           and state in ('filed', 'quarantined', 'duplicate')
         order by uid limit ${ACTION_BATCH}`,
        [this.mailbox, s.uidValidity],
      );
      if (!rows.length) break;
      const set = uidSet(rows.map((r) => Number(r.uid)));
      if (this.opts.afterFiling === 'move') {
        let moved = await client.messageMove(set, this.opts.moveTo, { uid: true });
        if (!moved && client.usable && !createdTarget) {
          createdTarget = true;
          this.log.info({ moveTo: this.opts.moveTo }, 'MOVE failed; creating the target folder and trying again');
          await client.mailboxCreate(this.opts.moveTo).catch(() => undefined);
          moved = await client.messageMove(set, this.opts.moveTo, { uid: true });
        }
        if (!moved) {
          if (!client.usable) throw new Error('connection lost during MOVE');
          this.log.error({ moveTo: this.opts.moveTo, uids: set }, 'could not move filed messages; will try again later');
          break;
        }
      } else {
        const ok = await client.messageFlagsAdd(set, [this.opts.keyword], { uid: true });
        if (!ok) {
          if (!client.usable) throw new Error('connection lost during STORE');
          // The server does not accept the keyword (PERMANENTFLAGS): nothing to retry; the
          // messages stay where they are, which is all `keep` promises.
          this.log.warn({ keyword: this.opts.keyword, uids: set }, 'the server did not accept the keyword; messages left as they are');
        }
      }
      this.touch();
      await sql('update inbound_message set server_action_done = true where id = any(?::bigint[])', [pgArray(rows.map((r) => r.id))]);
      total += rows.length;
      if (rows.length < ACTION_BATCH) break;
    }
    if (total) this.log.debug({ count: total, action: this.opts.afterFiling }, 'applied after-filing server actions');
    return total;
  }

  // ── small helpers ───────────────────────────────────────────────────────────────────────────

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const w of [...this.sleepers]) w();
  }
}

function asDate(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  if (typeof v === 'string' || typeof v === 'number') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}
