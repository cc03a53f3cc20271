import { WakeSignal } from './wake-signal.ts';

export interface WorkLoopOptions {
  /** Concurrent cycles. */
  lanes: number;
  pollIntervalMs: number;
  /** One round of work; returns how much it did (0: nothing due, so sleep). */
  cycle: () => Promise<number>;
  /** A cycle threw: report it; the lane sleeps an interval and tries again. */
  onError: (e: unknown) => void;
  /** Sleep one interval before the first cycle (a periodic check), instead of starting at once. */
  startAsleep?: boolean;
  /** The sleep's timer alone does not keep the process alive (checks, not work that must finish). */
  unref?: boolean;
}

/**
 * The one loop every background activity runs on: the outbox dispatcher, the campaign sender
 * and the ingest processor (lanes draining work), the IMAP watcher's health, watchdog and busy
 * checks, the mailbox lock check, the mailbox alerts and the after-filing poll (one lane
 * repeating a check, `WorkLoop.every`), and the scheduler's cron jobs (one lane each, woken by
 * the cron tick). `lanes` cycles at once, each repeated while it finds work and sleeping up
 * to `pollIntervalMs` when it finds none; wake() cuts the sleep short when new work was just
 * committed. A lane never overlaps itself; stop() lets the cycles in progress finish.
 */
export class WorkLoop {
  private active = false;
  private loop?: Promise<void>;
  private readonly signal = new WakeSignal();

  constructor(private readonly o: WorkLoopOptions) {}

  /**
   * A check repeated every `everyMs` (after the previous run ends), never overlapping itself,
   * its errors reported and the next run still made: what a bare setInterval was used for.
   */
  static every(everyMs: number, check: () => unknown, onError: (e: unknown) => void): WorkLoop {
    return new WorkLoop({
      lanes: 1,
      pollIntervalMs: everyMs,
      startAsleep: true,
      unref: true,
      onError,
      cycle: async () => {
        await check();
        return 0;
      },
    });
  }

  start(): this {
    if (this.active) return this;
    this.active = true;
    this.loop = Promise.all(Array.from({ length: this.o.lanes }, () => this.lane())).then(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.active = false;
    this.signal.interrupt();
    await this.loop;
  }

  wake(): void {
    this.signal.wake();
  }

  /** Started and asked to stop: a cycle should take no new work. */
  get stopping(): boolean {
    return this.loop !== undefined && !this.active;
  }

  private async lane(): Promise<void> {
    if (this.o.startAsleep) await this.signal.sleep(this.o.pollIntervalMs, this.o.unref);
    while (this.active) {
      let done = 0;
      try {
        done = await this.o.cycle();
      } catch (e) {
        this.o.onError(e);
      }
      if (done === 0 && this.active) await this.signal.sleep(this.o.pollIntervalMs, this.o.unref);
    }
  }
}
