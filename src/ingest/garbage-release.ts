import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A large message passes through this process as a stream of Buffers (IMAP literals,
 * PostgreSQL bind messages and rows): only a few MB of them are alive at any moment, but
 * each is dead a moment later, and V8 frees the memory of a dead Buffer that outlived a
 * young-generation collection only at a full one, which it starts on its own once some 64 MB
 * of such memory has piled up (its external-memory soft limit). Streaming a 25 MB attachment
 * left the process ~110 MB larger, nearly all of it dead Buffers (with a full collection every
 * 20 ms the same ingest grew it by ~20 MB). So the streaming paths report each piece they
 * move, and once the memory held by Buffers has grown `maxGrowthBytes` above the lowest seen
 * since the last collection, a full collection is asked for. Small messages never get here.
 */
export class GarbageRelease {
  private floor = Infinity;
  /** Collections asked for, and the milliseconds they took (for the bench). */
  collections = 0;
  collectMs = 0;

  constructor(
    private readonly maxGrowthBytes: number,
    private readonly bufferBytes: () => number,
    private readonly collect: (() => void) | undefined,
  ) {}

  /** A streaming path moved another piece: collects if Buffers' memory grew past the limit. */
  passed(): void {
    if (!this.collect) return;
    const now = this.bufferBytes();
    // Sweeping after a collection runs in the background: the floor comes down as it finishes.
    if (now < this.floor) this.floor = now;
    if (now - this.floor < this.maxGrowthBytes) return;
    const t0 = performance.now();
    this.collect();
    this.collectMs += performance.now() - t0;
    this.collections++;
    this.floor = this.bufferBytes();
  }
}

/**
 * V8's gc(): the one given with --expose-gc, or else taken the way the `expose-gc` package
 * does (turn the flag on, read `gc` from a fresh context, turn it off again). Undefined if
 * neither works: then V8 collects on its own schedule, as before.
 */
function findGc(): (() => void) | undefined {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return () => (own as () => void)();
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    setFlagsFromString('--no-expose-gc');
    return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Dead Buffers allowed to pile up before a full collection. A 25 MB attachment then costs ~6
 * collections (each a full mark of the heap, ~46 MB in the bench child), and the whole ingest
 * was no slower than before on the same (busy) machine: the collections replace V8's own.
 */
const MAX_GROWTH_BYTES = 16 * 1024 * 1024;

let shared: GarbageRelease | undefined;

/** Called by the streaming paths for each piece they move (collection is process-wide: one counter). */
export function streamedPiece(): void {
  (shared ??= new GarbageRelease(MAX_GROWTH_BYTES, () => process.memoryUsage().arrayBuffers, findGc())).passed();
}

/** How many collections the streaming paths asked for, and the time they took. */
export function garbageReleaseStats(): { collections: number; collectMs: number } {
  return { collections: shared?.collections ?? 0, collectMs: shared?.collectMs ?? 0 };
}
