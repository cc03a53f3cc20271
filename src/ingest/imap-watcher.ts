/**
 * The IMAP watcher: the first stage of the spine, one instance per configured mailbox. Its parts
 * live in ./imap/: leadership.ts (the per-mailbox advisory lock), catch-up.ts (fetch and store
 * above the cursor), after-filing.ts (keyword or move). It holds its mailbox (one instance at a
 * time, through a PostgreSQL advisory lock keyed on the mailbox's name), IDLEs on it, and stores every message above the UID
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
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { RawCache } from './raw-cache.ts';
import { errorText, imapflowLogger, withTimeout } from './imap/imap-helpers.ts';
import { MailboxLeadership } from './imap/leadership.ts';
import { catchUp } from './imap/catch-up.ts';
import { applyAfterFiling } from './imap/after-filing.ts';
import type { MailboxWork, Session } from './imap/session.ts';
import { WakeSignal } from '../scheduler/wake-signal.ts';
import { WorkLoop } from '../scheduler/work-loop.ts';

export { IMAP_LOCK_CLASS } from './imap/leadership.ts';
export { uidSet } from './imap/imap-helpers.ts';

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
  /** While `busy()` holds, the mailbox is also checked this often (NOOP); default 40 ms. */
  busyPollMs?: number;
}

export interface ImapWatcherDeps {
  orm: MikroORM;
  connection: ImapConnection;
  /** The IMAP folder read. */
  mailbox: string;
  /**
   * The mailbox's name (`mailboxes[].name`): keys its cursor, stored messages, lock, alerts and
   * metrics label. Default: the folder (the single-mailbox shorthand, as it always was).
   */
  name?: string;
  log: Logger;
  metrics?: Metrics;
  options: ImapWatcherOptions;
  /**
   * Called with the ids of newly stored (non-duplicate) messages: wakes the processing stage.
   * `fresh`: mail the server announced while a backlog was draining, stored ahead of it (the
   * fast lane); the processor should take these first (IngestProcessor.expedite).
   */
  onStored?: (ids: string[], fresh?: boolean) => void;
  /** Database URL for the dedicated advisory-lock connection. */
  lockUrl: string;
  /** Where newly stored raw messages are handed to the processor (an optimisation). */
  rawCache?: RawCache;
  /** Appears in the lock connection's application_name (`mailroom-imap-lock:<name>`). */
  instanceName?: string;
  /** How many other mailboxes this instance leads (see MailboxLeadership: instances share mailboxes). */
  ledElsewhere?: () => number;
  /** Lock polls to wait before the first try (this watcher's place among its instance's mailboxes). */
  firstTryAfterPolls?: number;
  /**
   * True while the processing stage drains a backlog. Then the mailbox is checked with a NOOP
   * every busyPollMs besides IDLE: Dovecot holds IDLE notifications back about 0.5 s to
   * coalesce changes, which new mail that should overtake a backlog cannot afford.
   */
  busy?: () => boolean;
  /** The server announced new mail (EXISTS): the processor may make room for it (IngestProcessor.announced). */
  onAnnounced?: () => void;
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

export class ImapWatcher {
  /** The mailbox's name (see ImapWatcherDeps.name). */
  readonly mailbox: string;
  /** The IMAP folder read. */
  readonly folder: string;
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
  private healthCheck?: WorkLoop;

  private readonly leadership: MailboxLeadership;
  private readonly work: MailboxWork;

  private session?: Session;
  private sessionSeq = 0;
  private lastActivity = 0;
  private pumping?: Promise<void>;
  private catchUpRequested = false;
  private actionsRequested = false;
  private actionWaiters: { resolve: (n: number) => void }[] = [];
  /** Back-off and lock-poll sleeps; stop, a lost lock or a closed connection cut them short. */
  private readonly pause = new WakeSignal();

  constructor(deps: ImapWatcherDeps) {
    this.deps = deps;
    this.mailbox = deps.name ?? deps.mailbox;
    this.folder = deps.mailbox;
    this.log = deps.log.child({ component: 'imap-watcher', mailbox: this.mailbox, ...(this.folder !== this.mailbox ? { folder: this.folder } : {}) });
    this.opts = {
      largeMessageBytes: 2 * 1024 * 1024,
      lockPollMs: 1000,
      backoffMaxMs: 30_000,
      busyPollMs: 40,
      ...deps.options,
      archiveMode: deps.options.archiveMode ?? false,
    };
    const name = (deps.instanceName ?? randomUUID().slice(0, 8)).replace(/[^\w.:@-]/g, '_');
    this.lockApplicationName = `mailroom-imap-lock:${name}`.slice(0, 63);
    this.leadership = new MailboxLeadership({
      lockUrl: deps.lockUrl,
      mailbox: this.mailbox,
      applicationName: this.lockApplicationName,
      pollMs: this.opts.lockPollMs,
      log: this.log,
      ...(deps.ledElsewhere ? { ledElsewhere: deps.ledElsewhere } : {}),
      ...(deps.firstTryAfterPolls ? { firstTryAfterPolls: deps.firstTryAfterPolls } : {}),
      onLost: (why) => {
        this.lastError = `lost the mailbox lock: ${why}`;
        const s = this.session;
        if (s && !s.closed) {
          s.closeReason = 'lock lost';
          s.client.close();
        }
        this.pause.interrupt();
      },
    });
    this.work = {
      mailbox: this.mailbox,
      folder: this.folder,
      orm: deps.orm,
      log: this.log,
      metrics: deps.metrics,
      rawCache: deps.rawCache,
      archiveMode: this.opts.archiveMode,
      largeMessageBytes: this.opts.largeMessageBytes,
      canWork: (s) => this.canWork(s),
      touch: () => this.touch(),
      notifyStored: (ids, fresh) => this.notifyStored(ids, fresh),
    };
    deps.metrics?.mailboxUp.set({ mailbox: this.mailbox }, 0);
  }

  private get holdsLock(): boolean {
    return this.leadership.holds;
  }

  // ── public API ──────────────────────────────────────────────────────────────────────────────

  start(): void {
    if (this.running) return;
    this.running = true;
    this.healthCheck = WorkLoop.every(1000, () => this.checkHealth(), (err) => this.log.error({ err }, 'mailbox health check failed')).start();
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
    this.pause.interrupt();
    const s = this.session;
    if (s && !s.closed) {
      if (this.pumping) await withTimeout(this.pumping, 10_000, 'finishing the current message').catch(() => undefined);
      await withTimeout(s.client.logout(), 2000, 'IMAP LOGOUT').catch(() => undefined);
      s.client.close();
    }
    await this.loop;
    await this.healthCheck?.stop();
    this.healthCheck = undefined;
    this.settleActionWaiters(0);
    this.state = 'disconnected';
    this.deps.metrics?.mailboxUp.set({ mailbox: this.mailbox }, 0);
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

  // ── advisory lock (src/ingest/imap/leadership.ts) ───────────────────────────────────────────

  private async acquireLock(): Promise<void> {
    this.setState('waiting-for-lock');
    this.downSince = undefined;
    this.alerted = false;
    await this.leadership.acquire(
      () => this.running,
      (ms) => this.sleep(ms),
      (text) => (this.lastError = text),
    );
  }

  private releaseLock(): Promise<void> {
    return this.leadership.release();
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
      this.pause.interrupt();
    });
    client.on('response', () => this.touch());
    client.on('exists', () => {
      this.touch();
      if (session.uidValidity) {
        this.catchUpRequested = true;
        session.freshAnnounced = true;
        session.wakeForFresh?.();
        this.deps.onAnnounced?.();
        if (this.canWork(session)) this.pump(session);
      }
    });

    try {
      await withTimeout(client.connect(), Math.min(90_000, Math.max(2000, sock)) + 2000, 'IMAP connect');
      if (!this.running || !this.holdsLock) throw new Error('stopped while connecting');
      const mb = await withTimeout(client.mailboxOpen(this.folder), sock, `SELECT ${this.folder}`);
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
    const onError = (err: unknown) => this.log.error({ err, session: session.id }, 'IMAP session check failed');
    const watchdog = WorkLoop.every(tick, () => this.watchdogTick(session), onError).start();
    const busyPoll = this.deps.busy ? WorkLoop.every(this.opts.busyPollMs, () => this.busyCheck(session), onError).start() : undefined;
    await session.closedPromise;
    await Promise.all([watchdog.stop(), busyPoll?.stop()]);
    if (this.pumping) await this.pumping.catch(() => undefined);
    if (this.session === session) this.session = undefined;
    this.settleActionWaiters(0);
    this.deps.metrics?.mailboxUp.set({ mailbox: this.mailbox }, 0);
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
    this.deps.metrics?.mailboxUp.set({ mailbox: this.mailbox }, 1);
    this.log.info({ uidValidity: s.uidValidity, session: s.id }, 'watching the mailbox (IDLE)');
  }

  private noteFailure(message: string): void {
    this.lastError = message;
    this.downSince ??= Date.now();
    this.setState('disconnected');
    this.deps.metrics?.mailboxUp.set({ mailbox: this.mailbox }, 0);
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
    this.deps.metrics?.mailboxLastActivity.set({ mailbox: this.mailbox }, this.lastActivity / 1000);
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

  /**
   * While the pipeline is busy, a NOOP: Dovecot answers it with any EXISTS at once (the 'exists'
   * listener then starts a catch-up), where IDLE would tell about half a second later.
   */
  private busyCheck(s: Session): void {
    // During catch-up only while it waits for the processor (no command of its own is out).
    if ((this.pumping && !s.wakeForFresh) || s.noopInFlight || !this.canWork(s) || !this.deps.busy?.()) return;
    s.noopInFlight = true;
    s.client
      .noop()
      .catch(() => undefined)
      .finally(() => (s.noopInFlight = false));
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
            await catchUp(this.work, s);
            if (!this.canWork(s)) break;
            s.caughtUp = true;
            s.lastCheck = Date.now();
            s.probeDeadline = undefined;
            this.actionsRequested = true;
            continue;
          }
          this.actionsRequested = false;
          const n = await applyAfterFiling(this.work, s, this.opts);
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

  private notifyStored(ids: string[], fresh?: boolean): void {
    if (!ids.length || !this.deps.onStored) return;
    try {
      this.deps.onStored(ids, fresh);
    } catch (err) {
      this.log.warn({ err: errorText(err) }, 'onStored callback threw');
    }
  }

  // ── small helpers ───────────────────────────────────────────────────────────────────────────

  private sleep(ms: number): Promise<void> {
    return this.pause.sleep(ms);
  }
}
