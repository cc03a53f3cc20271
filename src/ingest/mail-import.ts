/**
 * `mailroom import <file.eml | dir | file.mbox> [--archive]`: old or exported mail into the
 * same pipeline as the IMAP watcher. What is mail is decided from each file's first bytes
 * (message-sniff.ts), not its name: a directory's photos and notes are listed as skipped with
 * the reason, and a single file that is not mail is refused before anything is stored. Every message is stored first (storeRaw, source 'import',
 * one transaction each, so an interrupted import loses nothing it reported as stored), then an
 * IngestProcessor parses and files until none of the imported messages is left in the pipeline.
 *
 * Importing the same file again changes no record: storeRaw recognises the same Message-ID and
 * bytes and marks the copy a duplicate, which is never filed.
 *
 * mbox files are read as a stream, one message at a time (an mbox of years of mail never sits
 * in memory). A message starts at the file's first "From " line, then at each "From sender
 * date" line that follows an empty line; ">From " lines (mboxo/mboxrd escaping) lose one ">".
 */
import { createReadStream, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import { silentLogger } from '../logging/logger.ts';
import { messageOutcomes, messagesStillInPipeline, storeRaw } from './inbound-store.ts';
import { SNIFF_BYTES, sniffMailFile } from './message-sniff.ts';
import { IngestProcessor, type Filer } from './ingest-processor.ts';

export type MailSourceKind = 'eml' | 'dir' | 'mbox';

export interface ImportProgress {
  phase: 'store' | 'file';
  done: number;
  total: number;
}

export interface MailImportOptions {
  /** File without acknowledging anyone or creating tasks. */
  archive?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** The filing stage; without it messages are only stored (the daemon files them later). */
  filing?: {
    file: Filer;
    maxAttempts: number;
    ownDomains: string[];
    messageIdDomain: string;
    log?: Logger;
  };
  /** Stop waiting for the pipeline after this long (messages left are reported as pending). */
  fileTimeoutMs?: number;
}

export interface MailImportSummary {
  source: string;
  kind: MailSourceKind;
  /** Messages found in the source. */
  messages: number;
  /** Newly stored (and then filed or quarantined). */
  stored: number;
  /** Already imported before (same Message-ID and bytes): recorded as duplicates, not filed again. */
  duplicates: number;
  /** Files that held no message. */
  skipped: { file: string; reason: string }[];
  /** Stored messages by filing outcome (ticket, ticket-reply, lead, triage, bounce, auto-reply, …). */
  filed: Record<string, number>;
  quarantined: number;
  quarantinedMessages: { id: string; source: string; reason: string | null }[];
  /** Still in the pipeline when the import stopped waiting (filed later by the daemon). */
  pending: number;
  archive: boolean;
}

/** The source cannot be read at all (missing, not mail, unreadable): one line for the operator. */
export class MailImportError extends Error {
  override name = 'MailImportError';
}

function describeFsError(p: string, e: unknown): MailImportError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((e as Error)?.message ?? e);
  return new MailImportError(`${p}: ${why}`);
}

/** The first bytes of a file, for sniffMailFile. */
async function readHead(file: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } catch (e) {
    throw describeFsError(file, e);
  } finally {
    await handle?.close();
  }
}

/** A file that holds mail: one message, or an mbox of them. */
export interface MailFile {
  file: string;
  kind: 'eml' | 'mbox';
  stats: Stats;
}

/**
 * Every file under `dir` (recursively, in name order) that holds mail, whatever its name; the
 * others are listed in `skipped` with the reason.
 */
async function walkMailFiles(dir: string, skipped: MailImportSummary['skipped']): Promise<MailFile[]> {
  const out: MailFile[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch((e) => {
    throw describeFsError(dir, e);
  });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      out.push(...(await walkMailFiles(full, skipped)));
      continue;
    }
    if (!entry.isFile()) {
      skipped.push({ file: full, reason: 'not a regular file' });
      continue;
    }
    const stats = await stat(full).catch((e) => {
      throw describeFsError(full, e);
    });
    const verdict = sniffMailFile(await readHead(full));
    if (verdict.kind === 'not-mail') skipped.push({ file: full, reason: `not a message: ${verdict.reason}` });
    else out.push({ file: full, kind: verdict.kind === 'mbox' ? 'mbox' : 'eml', stats });
  }
  return out;
}

/**
 * What `p` is: a directory, an mbox or one message. A file that is neither is refused here,
 * before anything is stored, with the reason (binary data, no header block, …).
 */
export async function detectSource(p: string): Promise<{ kind: MailSourceKind; stats: Stats }> {
  let stats: Stats;
  try {
    stats = await stat(p);
  } catch (e) {
    throw describeFsError(p, e);
  }
  if (stats.isDirectory()) return { kind: 'dir', stats };
  if (!stats.isFile()) throw new MailImportError(`${p}: not a file or directory`);
  const verdict = sniffMailFile(await readHead(p));
  if (verdict.kind === 'not-mail') throw new MailImportError(`${p}: not a message (${verdict.reason}); nothing was imported`);
  return { kind: verdict.kind === 'mbox' ? 'mbox' : 'eml', stats };
}

const isBlank = (line: Buffer) => line.length === 0 || (line.length === 1 && line[0] === 0x0a) || (line.length === 2 && line[0] === 0x0d && line[1] === 0x0a);
const FROM_ = Buffer.from('From ', 'latin1');
const startsWithFrom = (line: Buffer) => line.length >= 5 && line.subarray(0, 5).equals(FROM_);
/**
 * "From sender date": a separator carries a time and a year. A body line such as "From here on
 * it broke" that a careless mbox writer left unescaped does not, so it stays in its message.
 */
const ENVELOPE = /^From \S+\s+.*\b\d{1,2}:\d{2}(:\d{2})?\b.*\b\d{4}\b/;
const isEnvelopeLine = (line: Buffer) => startsWithFrom(line) && ENVELOPE.test(line.toString('latin1', 0, Math.min(line.length, 300)));

/** Unescapes ">From " (and ">>From " → ">From ", mboxrd) at the start of a body line. */
function unescapeFromLine(line: Buffer): Buffer {
  let i = 0;
  while (i < line.length && line[i] === 0x3e) i++;
  return i > 0 && line.length - i >= 5 && line.subarray(i, i + 5).equals(FROM_) ? line.subarray(1) : line;
}

/** The date on an mbox "From sender date" line, when it has a readable one. */
export function envelopeDate(fromLine: string): Date | undefined {
  const m = /^From\s+\S+\s+(.+?)\s*$/.exec(fromLine);
  if (!m) return undefined;
  const d = new Date(/[+-]\d{4}|UTC|GMT|Z$/.test(m[1]!) ? m[1]! : `${m[1]} UTC`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * Reads an mbox as a stream and calls `onMessage` for each message (awaited, so storing
 * applies back-pressure). Without `onMessage` it only counts. Returns the number of messages.
 */
export async function scanMbox(file: string, onMessage?: (raw: Buffer, envelope: string) => Promise<void>): Promise<number> {
  let count = 0;
  let envelope: string | null = null;
  let lines: Buffer[] = [];
  let prevBlank = true;
  const finish = async () => {
    if (envelope === null) return;
    count++;
    if (onMessage) {
      // The empty line before the next "From " belongs to the mbox, not to the message.
      if (lines.length && isBlank(lines[lines.length - 1]!)) lines.pop();
      await onMessage(Buffer.concat(lines), envelope);
    }
    lines = [];
  };
  const handle = async (line: Buffer) => {
    if ((envelope === null && count === 0 && startsWithFrom(line)) || (prevBlank && isEnvelopeLine(line))) {
      await finish();
      envelope = line.toString('latin1').replace(/\r?\n$/, '');
      prevBlank = false;
      return;
    }
    prevBlank = isBlank(line);
    if (envelope !== null && onMessage) lines.push(unescapeFromLine(line));
  };
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of createReadStream(file)) {
      const buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      let start = 0;
      for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
        // Copy: the chunk's memory is reused by nothing, but slices would pin whole chunks.
        await handle(Buffer.from(buf.subarray(start, nl + 1)));
        start = nl + 1;
      }
      carry = Buffer.from(buf.subarray(start));
    }
  } catch (e) {
    throw describeFsError(file, e);
  }
  if (carry.length) await handle(carry);
  await finish();
  return count;
}

/**
 * Stores every message of `source` and, with `opts.filing`, files them. Returns the summary
 * the CLI prints. Throws MailImportError when the source cannot be read at all.
 */
export async function importMailSource(orm: Orm, source: string, opts: MailImportOptions = {}): Promise<MailImportSummary> {
  const { kind, stats } = await detectSource(source);
  const summary: MailImportSummary = {
    source,
    kind,
    messages: 0,
    stored: 0,
    duplicates: 0,
    skipped: [],
    filed: {},
    quarantined: 0,
    quarantinedMessages: [],
    pending: 0,
    archive: !!opts.archive,
  };
  const storedIds: string[] = [];
  const labels = new Map<string, string>();
  let done = 0;
  let total = 0;
  const progress = (phase: ImportProgress['phase']) => opts.onProgress?.({ phase, done, total });

  const store = async (raw: Buffer | Readable, label: string, internalDate?: Date) => {
    const result = await orm.em.fork().transactional((em) => storeRaw(em, { source: 'import', raw, archive: opts.archive, internalDate }));
    summary.messages++;
    if (result.duplicateOf) summary.duplicates++;
    else {
      summary.stored++;
      storedIds.push(result.id);
      labels.set(result.id, label);
    }
    done++;
    progress('store');
  };

  const files: MailFile[] = kind === 'dir' ? await walkMailFiles(source, summary.skipped) : [{ file: source, kind: kind === 'mbox' ? 'mbox' : 'eml', stats }];
  if (files.length === 0) {
    const shown = summary.skipped.slice(0, 3).map((k) => `${path.relative(source, k.file)}: ${k.reason}`);
    const more = summary.skipped.length > shown.length ? `; and ${summary.skipped.length - shown.length} more` : '';
    throw new MailImportError(`${source}: no messages in this directory${shown.length ? ` (skipped ${shown.join('; ')}${more})` : ''}`);
  }
  for (const f of files) total += f.kind === 'mbox' ? await scanMbox(f.file) : 1;
  progress('store');
  for (const f of files) {
    if (f.kind === 'mbox') {
      let n = 0;
      await scanMbox(f.file, async (raw, envelope) => {
        n++;
        if (raw.length === 0 || raw.toString('latin1').trim() === '') {
          summary.skipped.push({ file: `${f.file}#${n}`, reason: 'empty message' });
          done++;
          progress('store');
          return;
        }
        await store(raw, `${f.file}#${n}`, envelopeDate(envelope));
      });
      continue;
    }
    // Streamed: a message with a 25 MB attachment is never one buffer here.
    const stream = createReadStream(f.file);
    try {
      await store(stream, f.file, kind === 'eml' ? f.stats.mtime : undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code) throw describeFsError(f.file, e);
      throw e;
    }
  }

  if (opts.filing && storedIds.length > 0) {
    await fileMessages(orm, storedIds, opts.filing, { timeoutMs: opts.fileTimeoutMs, onProgress: (d, t) => opts.onProgress?.({ phase: 'file', done: d, total: t }) });
  }
  if (storedIds.length > 0) {
    const rows = await messageOutcomes(orm.em.fork(), storedIds);
    for (const r of rows) {
      if (r.state === 'filed') summary.filed[r.outcome ?? 'filed'] = (summary.filed[r.outcome ?? 'filed'] ?? 0) + 1;
      else if (r.state === 'quarantined') {
        summary.quarantined++;
        summary.quarantinedMessages.push({ id: r.id, source: labels.get(r.id) ?? '', reason: r.last_error });
      } else if (r.state === 'stored' || r.state === 'parsed') summary.pending++;
    }
  }
  return summary;
}

/**
 * Runs the ingest stages (parse, file) until none of `ids` is left in the pipeline, or the
 * timeout passes. Other due messages are processed along the way, as the daemon would.
 */
export async function fileMessages(
  orm: Orm,
  ids: string[],
  f: NonNullable<MailImportOptions['filing']>,
  opts: { timeoutMs?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<void> {
  const onProgress = opts.onProgress ?? (() => {});
  const processor = new IngestProcessor({
    orm,
    log: f.log ?? silentLogger,
    file: f.file,
    maxAttempts: f.maxAttempts,
    ownDomains: f.ownDomains,
    messageIdDomain: f.messageIdDomain,
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  onProgress(0, ids.length);
  for (;;) {
    const advanced = await processor.runOnce();
    const { pending, waitMs } = await messagesStillInPipeline(orm.em.fork(), ids);
    onProgress(ids.length - pending, ids.length);
    if (pending === 0 || Date.now() > deadline) return;
    if (advanced === 0) {
      // Everything left is backing off (a retry, or a reply waiting for its original).
      await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(50, waitMs ?? 200))));
    }
  }
}
