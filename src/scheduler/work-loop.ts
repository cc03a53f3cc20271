import { WakeSignal } from './wake-signal.ts';

export interface WorkLoopOptions {
  /** Concurrent cycles. */
  lanes: number;
  pollIntervalMs: number;
  /** One round of work; returns how much it did (0: nothing due, so sleep). */
  cycle: () => Promise<number>;
  /** A cycle threw: report it; the lane sleeps an interval and tries again. */
  onError: (e: unknown) => void;
}

/**
 * The loop a background worker runs (outbox dispatcher, campaign sender, ingest processor):
 * `lanes` cycles at once, each repeated while it finds work and sleeping up to
 * `pollIntervalMs` when it finds none; wake() cuts the sleep short when new work was just
 * committed. stop() lets the cycles in progress finish.
 */
export class WorkLoop {
  private active = false;
  private loop?: Promise<void>;
  private readonly signal = new WakeSignal();

  constructor(private readonly o: WorkLoopOptions) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.loop = Promise.all(Array.from({ length: this.o.lanes }, () => this.lane())).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.active = false;
    this.signal.wake();
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
    while (this.active) {
      let done = 0;
      try {
        done = await this.o.cycle();
      } catch (e) {
        this.o.onError(e);
      }
      if (done === 0 && this.active) await this.signal.sleep(this.o.pollIntervalMs);
    }
  }
}
