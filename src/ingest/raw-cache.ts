/**
 * Hands freshly stored raw messages from the watcher to the processor in memory, so the
 * processor need not read back from the database what was written a moment ago. Only an
 * optimisation: the database copy is the truth, and a miss simply reads it. Bounded in bytes;
 * the oldest entries go first.
 */
export class RawCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

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

  /** Returns and forgets the bytes of `id`, if still held. */
  take(id: string): Buffer | undefined {
    const raw = this.entries.get(id);
    if (raw) {
      this.entries.delete(id);
      this.bytes -= raw.length;
    }
    return raw;
  }
}
