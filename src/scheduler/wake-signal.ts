/**
 * A poll interval that new work can cut short. A wake that comes while nobody sleeps is kept
 * for the next sleep, so work that arrives mid-cycle is not left waiting a full interval.
 */
export class WakeSignal {
  private readonly waiters = new Set<() => void>();
  private pending = false;

  wake(): void {
    if (this.waiters.size === 0) {
      this.pending = true;
      return;
    }
    this.interrupt();
  }

  /**
   * Ends the sleeps in progress and keeps nothing for later: for "stop" or "the connection
   * closed", where a kept wake would make the next back-off sleep return at once.
   */
  interrupt(): void {
    for (const w of [...this.waiters]) w();
  }

  /** `unref`: the timer alone does not keep the process alive (a health tick, not work). */
  sleep(ms: number, unref = false): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      if (unref) t.unref();
      this.waiters.add(done);
    });
  }
}
