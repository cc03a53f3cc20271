/**
 * Hands freshly stored raw messages from the watcher to the processor in memory, so the
 * processor need not read back from the database what was written a moment ago. Only an
 * optimisation: the database copy is the truth, and a miss simply reads it. Bounded in bytes;
 * the oldest entries go first.
 *
 * It is also the watcher's backpressure: draining a backlog, the watcher can store mail faster
 * than the processor files it, and every message pushed out of the cache is then read back
 * from the database (about as costly as parsing it). `room()` lets the watcher wait for the
 * processor instead, but only while the processor keeps taking: a processor that stalls (or
 * mail filed by another instance, never taken here) never holds ingest up for long.
 */
export class RawCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  private waiters: Array<{ wake: () => void; taken: () => void }> = [];

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  put(id: string, raw: Buffer): void {
    if (raw.length > this.maxBytes / 4) return;
    this.entries.set(id, raw);
    this.bytes += raw.length;
    for (const [oldId, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldId);
      this.bytes -= old.length;
    }
  }

  /** Returns and forgets the bytes of `id`, if still held: the caller owns them (the parse pool may transfer them to a worker). */
  take(id: string): Buffer | undefined {
    const raw = this.entries.get(id);
    if (raw) {
      this.entries.delete(id);
      this.bytes -= raw.length;
      for (const w of [...this.waiters]) (this.hasRoom() ? w.wake : w.taken)();
    }
    return raw;
  }

  /**
   * Resolves when the cache has room for another fetched batch (at most three quarters
   * full), or once nothing has been taken for `quietMs`.
   */
  async room(quietMs: number): Promise<void> {
    if (this.hasRoom()) return;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(wake, quietMs);
        timer.unref?.();
      };
      const waiter = { wake: () => wake(), taken: arm };
      const wake = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      arm();
      this.waiters.push(waiter);
    });
  }

  private hasRoom(): boolean {
    return this.bytes <= (this.maxBytes * 3) / 4;
  }
}
