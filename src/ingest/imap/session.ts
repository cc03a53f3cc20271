import type { ImapFlow } from 'imapflow';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../../logging/logger.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import type { RawCache } from '../raw-cache.ts';

/** One IMAP connection to the mailbox; a reconnect is a new Session (imapflow never reconnects). */
export interface Session {
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
  /**
   * The server announced new mail (EXISTS) since catch-up listed what it drains: catch-up
   * stores it ahead of the rest of the backlog (the fast lane).
   */
  freshAnnounced?: boolean;
  /** A busy-time NOOP is out (see ImapWatcher.busyCheck). */
  noopInFlight?: boolean;
  /** Wakes a catch-up waiting for room in the raw cache when new mail is announced. */
  wakeForFresh?: () => void;
}

/** What catch-up and the after-filing actions need from the watcher that runs them. */
export interface MailboxWork {
  /** The mailbox's name: keys its cursor and stored messages. */
  mailbox: string;
  /** The IMAP folder read. */
  folder: string;
  orm: MikroORM;
  log: Logger;
  metrics?: Metrics;
  rawCache?: RawCache;
  archiveMode: boolean;
  largeMessageBytes: number;
  /** The session may still be used (running, leading, the same session, not closed). */
  canWork(s: Session): boolean;
  /** The server answered: feeds the watchdog and the activity gauge. */
  touch(): void;
  /**
   * Newly stored (non-duplicate) message ids: wakes the processing stage. `fresh`: mail IDLE
   * just announced, stored ahead of a backlog, to be processed ahead of it too.
   */
  notifyStored(ids: string[], fresh?: boolean): void;
}
