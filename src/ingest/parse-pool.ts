/**
 * Where the parse stage runs: in this thread, or in a pool of worker threads (piscina) so that
 * mailparser, charset guessing and TNEF no longer share the daemon's one thread with IMAP, the
 * database and filing. The processor sees the same ParseOutcome either way.
 *
 * Bytes cross threads by transfer, not copy: the raw message goes to the worker (the caller
 * gives it away), attachment contents small enough to keep come back; the raw bytes never do.
 */
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { Piscina } from 'piscina';
import { parseStage, type ParseOutcome, type ParseStageOptions } from './parse-stage.ts';
import { UnparseableMessageError, type ParsedAttachment } from './parse-message.ts';
import type { StoredParse } from './inbound-record.ts';

/** What the processor asks of a worker (parse-worker.ts): a run of messages, parsed back to back. */
export interface ParseTask {
  raws: Uint8Array[];
  options: ParseStageOptions;
}

export type WireAttachment = Omit<ParsedAttachment, 'content'> & { content?: Uint8Array };

/**
 * What a worker answers for each message: the parse, why nothing at all could be read, or
 * another failure's message (an Error loses its class between threads).
 */
export type ParseReply =
  | { ok: true; stored: StoredParse; attachments: WireAttachment[] }
  | { ok: false; unparseable: string; problems: string[] }
  | { ok: false; failed: string; unparseable?: undefined };

/** Runs the parse stage for the processor. */
export interface MessageParser {
  /**
   * Parses one raw message. A Buffer is the caller's to give away: it may be transferred to a
   * worker and read empty afterwards.
   */
  parse(raw: Buffer | Readable, o: ParseStageOptions): Promise<ParseOutcome>;
  /**
   * Parses a batch, one outcome per message (each fails on its own). A pool hands the batch to
   * its workers in a few runs rather than one message at a time: a worker then never waits for
   * this thread between messages (on a busy machine that wait cost more than the parse).
   */
  parseMany(raws: (Buffer | Readable)[], o: ParseStageOptions): Promise<ParseOutcome>[];
  /** Stops the worker threads (after the processor stopped). */
  close(): Promise<void>;
  /** Worker threads; 0 = in this thread. */
  readonly threads: number;
}

/** The parse stage in the caller's thread (tests, `mailroom import`, `parseWorkers: 0`). */
export const inThreadParser: MessageParser = {
  threads: 0,
  parse: (raw, o) => parseStage(raw, o),
  parseMany(raws, o) {
    // one after another, as they always were parsed in this thread
    let previous: Promise<unknown> = Promise.resolve();
    return raws.map((raw) => {
      const outcome = previous.then(() => parseStage(raw, o));
      previous = outcome.catch(() => {});
      return outcome;
    });
  },
  close: async () => {},
};

/**
 * Worker threads for `ingest.parseWorkers`: as configured, else one per core but one (the
 * daemon's own thread keeps a core for IMAP, the database and filing), at least one.
 */
export function parseWorkerCount(setting: number | undefined, cores = availableParallelism()): number {
  return setting ?? Math.max(1, cores - 1);
}

/** A parser on `threads` worker threads, or the in-thread one for 0. */
export function createMessageParser(threads: number): MessageParser {
  if (threads <= 0) return inThreadParser;
  // Fixed size: a worker takes ~50 ms to start (mailparser and friends load), which idle mail
  // would otherwise pay on its first message after a quiet spell. Idle workers are unref'd by
  // piscina, so they never keep the process alive.
  // recordTiming off: its wait/run histograms cost the main thread a few per cent of a backlog.
  const pool = new Piscina<ParseTask, ParseReply[]>({ filename: workerFile(), minThreads: threads, maxThreads: threads, idleTimeout: Infinity, recordTiming: false });
  const run = (raws: Buffer[], options: ParseStageOptions): Promise<ParseOutcome>[] => {
    const bytes = raws.map(transferable);
    const replies = pool.run({ raws: bytes, options }, { transferList: bytes.map((b) => b.buffer as ArrayBuffer) });
    return bytes.map((_, i) => replies.then((r) => outcomeOf(r[i]!)));
  };
  const parseMany = (raws: (Buffer | Readable)[], options: ParseStageOptions): Promise<ParseOutcome>[] => {
    const out: Promise<ParseOutcome>[] = new Array(raws.length);
    // A message too big for the raw cache is read back as a stream; it stays in this thread,
    // parsed as it arrives rather than gathered whole to cross to a worker.
    const buffered: number[] = [];
    raws.forEach((raw, i) => (Buffer.isBuffer(raw) ? buffered.push(i) : (out[i] = parseStage(raw, options))));
    // One run per worker, each a contiguous share: every worker busy, one round trip each.
    const share = Math.ceil(buffered.length / threads);
    for (let from = 0; from < buffered.length; from += share) {
      const idx = buffered.slice(from, from + share);
      run(idx.map((i) => raws[i] as Buffer), options).forEach((p, k) => (out[idx[k]!] = p));
    }
    return out;
  };
  return {
    threads,
    parse: (raw, options) => parseMany([raw], options)[0]!,
    parseMany,
    close: () => pool.destroy(),
  };
}

function outcomeOf(reply: ParseReply): ParseOutcome {
  if (!reply.ok) {
    if (reply.unparseable !== undefined) throw new UnparseableMessageError(reply.unparseable, reply.problems);
    throw new Error(reply.failed);
  }
  return {
    stored: reply.stored,
    attachments: reply.attachments.map((a) => ({ ...a, content: a.content ? Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength) : undefined })),
  };
}

/**
 * The bytes of `b` in an ArrayBuffer of their own, which can be transferred: a Buffer from
 * Node's shared pool (under 4 KiB) or a slice of a bigger buffer is copied (transferring its
 * ArrayBuffer would take its neighbours along); one that owns its whole ArrayBuffer is moved.
 */
function transferable(b: Buffer): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? new Uint8Array(b.buffer) : new Uint8Array(b);
}

/**
 * The worker's entry file. Compiled (dist/, what `mailroom` runs) it is the sibling .js. Run
 * from src/ under tsx (bench, scripts), workers inherit tsx's loader and take the .ts. Under
 * vitest, which transforms TypeScript only inside its own thread, a worker cannot load .ts: it
 * takes the compiled worker in dist/ (the tests' global setup rebuilds dist/ when src/ changed).
 */
function workerFile(): string {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL('./parse-worker.js', here).href;
  if (tsLoaderInherited()) return new URL('./parse-worker.ts', here).href;
  const built = new URL('../../dist/ingest/parse-worker.js', here);
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(`parse workers need the compiled worker ${fileURLToPath(built)}: run \`npm run build\` (or set ingest.parseWorkers: 0)`);
  }
  return built.href;
}

function tsLoaderInherited(): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a === 'tsx' || /[/\\]tsx[/\\]/.test(a));
}
