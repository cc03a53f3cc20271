/**
 * Who reads a mailbox: the instance holding its PostgreSQL advisory lock, on a connection of its
 * own. The lock is keyed per mailbox (IMAP_LOCK_CLASS, hashtext(mailbox name)), so two daemons
 * can each lead some mailboxes, and when one dies its session — and with it its locks — ends,
 * and the survivor's next poll takes each of its mailboxes over. No lease to expire, no clock.
 *
 * The lock is only as good as the connection that holds it: that connection is checked every
 * few polls, and when it is lost the watcher is told at once to leave the mailbox alone.
 */
import pg from 'pg';
import type { Logger } from '../../logging/logger.ts';
import { errorText, withTimeout } from './imap-helpers.ts';
import { WorkLoop } from '../../scheduler/work-loop.ts';

/** First half of the two-int advisory lock key; the second half is hashtext(mailbox name). */
export const IMAP_LOCK_CLASS = 7_291_002;

export interface LeadershipOptions {
  lockUrl: string;
  /** The mailbox name the lock is keyed on. */
  mailbox: string;
  /** application_name of the lock connection (shown in pg_stat_activity). */
  applicationName: string;
  pollMs: number;
  log: Logger;
  /** The lock is gone (its connection failed): stop touching the mailbox now. */
  onLost: (why: string) => void;
  /**
   * How many other mailboxes this instance leads now. Each one defers this mailbox's try by one
   * poll, so an instance that leads none takes a free mailbox first: two daemons started
   * together share the mailboxes, and a survivor still takes a dead one's over, a poll later
   * per mailbox it already holds.
   */
  ledElsewhere?: () => number;
  /** Polls to wait before the very first try (the k-th mailbox of an instance waits k), so ledElsewhere counts at start too. */
  firstTryAfterPolls?: number;
}

export class MailboxLeadership {
  private client?: pg.Client;
  private held = false;
  private checkLoop?: WorkLoop;

  private firstWait: number;

  constructor(private readonly o: LeadershipOptions) {
    this.firstWait = o.firstTryAfterPolls ?? 0;
  }

  get holds(): boolean {
    return this.held;
  }

  /**
   * Tries the lock every pollMs while `goOn()`; resolves true once held, false when told to stop.
   * `onError` hears why a try failed (the database is away, say).
   */
  async acquire(goOn: () => boolean, sleep: (ms: number) => Promise<void>, onError: (text: string) => void): Promise<boolean> {
    let announced = false;
    let deferred = -this.firstWait;
    this.firstWait = 0;
    while (goOn() && !this.held) {
      if (deferred < (this.o.ledElsewhere?.() ?? 0)) {
        deferred++;
        await sleep(this.o.pollMs);
        continue;
      }
      deferred = 0;
      try {
        const client = this.client ?? (await this.open());
        const res = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, hashtext($2)) as ok', [IMAP_LOCK_CLASS, this.o.mailbox]);
        if (res.rows[0]?.ok && this.client === client) {
          if (!goOn()) {
            await client.query('select pg_advisory_unlock($1::int, hashtext($2))', [IMAP_LOCK_CLASS, this.o.mailbox]).catch(() => undefined);
            return false;
          }
          this.held = true;
          this.o.log.info({ lockConnection: this.o.applicationName }, 'holding the mailbox lock: this instance reads the mailbox');
          this.checkLoop = WorkLoop.every(Math.max(1000, this.o.pollMs * 5), () => this.check(client), (err) =>
            this.o.log.warn({ err: errorText(err) }, 'mailbox lock check failed'),
          ).start();
          return true;
        }
        if (!announced) {
          announced = true;
          this.o.log.info('another instance holds the mailbox lock; waiting to take over');
        }
      } catch (err) {
        onError(`lock connection: ${errorText(err)}`);
        this.o.log.warn({ err: errorText(err) }, 'could not take the mailbox lock; retrying');
        this.drop();
      }
      await sleep(this.o.pollMs);
    }
    return this.held;
  }

  /** Unlocks (bounded) and closes the lock connection. */
  async release(): Promise<void> {
    const checks = this.checkLoop;
    this.checkLoop = undefined;
    await checks?.stop();
    const c = this.client;
    this.client = undefined;
    const held = this.held;
    this.held = false;
    if (!c) return;
    if (held) {
      await withTimeout(c.query('select pg_advisory_unlock($1::int, hashtext($2))', [IMAP_LOCK_CLASS, this.o.mailbox]), 2000, 'advisory unlock').catch(() => undefined);
    }
    await withTimeout(c.end(), 2000, 'closing the lock connection').catch(() => undefined);
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.o.lockUrl,
      application_name: this.o.applicationName,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      connectionTimeoutMillis: 10_000,
    });
    const lost = (why: string) => this.lost(client, why);
    client.on('error', (err) => lost(errorText(err)));
    client.on('end', () => lost('connection ended'));
    this.client = client;
    try {
      await client.connect();
    } catch (err) {
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  private async check(client: pg.Client): Promise<void> {
    if (client !== this.client || !this.held) return;
    try {
      await withTimeout(client.query('select 1'), 5000, 'lock connection check');
    } catch (err) {
      this.lost(client, errorText(err));
    }
  }

  /** The session holding the lock is gone, so the lock is too. */
  private lost(client: pg.Client, why: string): void {
    if (client !== this.client) return;
    this.client = undefined;
    // Not awaited: lost() may run inside the check itself, whose loop stop() would wait for.
    void this.checkLoop?.stop();
    this.checkLoop = undefined;
    client.end().catch(() => undefined);
    if (!this.held) return;
    this.held = false;
    this.o.log.warn({ reason: why }, 'lost the mailbox lock connection; leaving the mailbox alone and waiting for the lock again');
    this.o.onLost(why);
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    if (c) c.end().catch(() => undefined);
  }
}
