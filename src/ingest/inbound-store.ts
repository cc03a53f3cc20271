import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray, sqlOf } from '../db/sql.ts';
import { streamedPiece } from './garbage-release.ts';

export const RAW_CHUNK_BYTES = 1 << 20;

export interface StoreRawInput {
  source: 'imap' | 'import';
  mailbox?: string;
  uidValidity?: string | number | bigint;
  uid?: number;
  raw: Buffer | Readable | AsyncIterable<Buffer>;
  internalDate?: Date;
  /** File without acknowledging anyone or creating tasks (imports, first sync of old mail). */
  archive?: boolean;
  /** The caller advances the IMAP cursor itself, once for a batch, in the same transaction. */
  batchCursor?: boolean;
}

export interface StoreRawResult {
  id: string;
  /** Already stored under the same mailbox/UIDVALIDITY/UID: nothing was written. */
  alreadyStored: boolean;
  /** Same Message-ID and bytes as a message stored before (e.g. after a UIDVALIDITY change). */
  duplicateOf?: string;
}

/** The Message-ID from the header block, without parsing the rest of the message. */
export function headerMessageId(head: Buffer): string | null {
  const text = head.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:[ \t]*(<[^>\s]+>|\S+)/im.exec(block);
  return m ? m[1]!.trim() : null;
}

async function* chunksOf(raw: StoreRawInput['raw']): AsyncIterable<Buffer> {
  if (Buffer.isBuffer(raw)) {
    for (let i = 0; i < raw.length; i += RAW_CHUNK_BYTES) yield raw.subarray(i, i + RAW_CHUNK_BYTES);
    return;
  }
  let pending: Buffer[] = [];
  let size = 0;
  for await (const piece of raw as AsyncIterable<Buffer | string>) {
    const buf = typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece;
    // IMAP downloads come in pieces of exactly this size: pass them on without a copy.
    if (size === 0 && buf.length === RAW_CHUNK_BYTES) {
      yield buf;
      continue;
    }
    pending.push(buf);
    size += buf.length;
    while (size >= RAW_CHUNK_BYTES) {
      const all = Buffer.concat(pending);
      yield all.subarray(0, RAW_CHUNK_BYTES);
      pending = [all.subarray(RAW_CHUNK_BYTES)];
      size = pending[0]!.length;
    }
  }
  if (size > 0) yield Buffer.concat(pending);
}

/**
 * Durable first: writes the raw bytes and advances the mailbox cursor in the caller's
 * transaction, before any parsing. Idempotent on (mailbox, UIDVALIDITY, UID); a message seen
 * again under a new UIDVALIDITY (same Message-ID and bytes) is recorded as a duplicate.
 */
export async function storeRaw(em: EntityManager, input: StoreRawInput): Promise<StoreRawResult> {
  if (Buffer.isBuffer(input.raw)) return storeRawBuffer(em, { ...input, raw: input.raw });
  const sql = sqlOf(em);
  const uidValidity = input.uidValidity === undefined ? null : String(input.uidValidity);
  if (input.source === 'imap') {
    const [existing] = await sql<{ id: string }>(
      'select id from inbound_message where mailbox = ? and uid_validity = ? and uid = ?',
      [input.mailbox, uidValidity, input.uid],
    );
    if (existing) {
      if (!input.batchCursor) await advanceCursor(em, input.mailbox!, uidValidity!, input.uid!);
      return { id: existing.id, alreadyStored: true };
    }
  }
  const [row] = await sql<{ id: string }>(
    `insert into inbound_message (source, mailbox, uid_validity, uid, content_sha256, size, internal_date, archive)
     values (?, ?, ?, ?, '', 0, ?, ?) returning id`,
    [input.source, input.mailbox ?? null, uidValidity, input.uid ?? null, input.internalDate ?? null, input.archive ?? false],
  );
  const id = row!.id;
  const hash = createHash('sha256');
  let size = 0;
  let seq = 0;
  let head: Buffer | null = null;
  for await (const chunk of chunksOf(input.raw)) {
    hash.update(chunk);
    size += chunk.length;
    if (!head) head = chunk.subarray(0, 64 * 1024);
    await sql('insert into inbound_raw_chunk (inbound_message_id, seq, bytes) values (?, ?, ?)', [id, seq++, chunk]);
    streamedPiece();
  }
  const sha = hash.digest('hex');
  const messageId = head ? headerMessageId(head) : null;
  const dupOf = await findDuplicate(em, sha, messageId, id);
  if (dupOf) await sql('delete from inbound_raw_chunk where inbound_message_id = ?', [id]);
  await sql(
    `update inbound_message set content_sha256 = ?, size = ?, message_id = ?, state = ?, duplicate_of = ?, outcome = ?
     where id = ?`,
    [sha, size, messageId, dupOf ? 'duplicate' : 'stored', dupOf, dupOf ? 'duplicate' : null, id],
  );
  if (input.source === 'imap' && !input.batchCursor) await advanceCursor(em, input.mailbox!, uidValidity!, input.uid!);
  return { id, alreadyStored: false, duplicateOf: dupOf ?? undefined };
}

async function findDuplicate(em: EntityManager, sha: string, messageId: string | null, exceptId: string | null): Promise<string | null> {
  const [dup] = await sqlOf(em)<{ id: string }>(
    `select id from inbound_message
     where content_sha256 = ? and message_id is not distinct from ? and id <> coalesce(?::bigint, -1) and state <> 'duplicate'
     order by id limit 1`,
    [sha, messageId, exceptId],
  );
  return dup?.id ?? null;
}

/**
 * The common case, a message already in memory: hash and Message-ID are known up front, so
 * the check, the row with its chunks, and the cursor take three statements.
 */
async function storeRawBuffer(em: EntityManager, input: StoreRawInput & { raw: Buffer }): Promise<StoreRawResult> {
  const sql = sqlOf(em);
  const uidValidity = input.uidValidity === undefined ? null : String(input.uidValidity);
  const sha = createHash('sha256').update(input.raw).digest('hex');
  const messageId = headerMessageId(input.raw.subarray(0, 64 * 1024));
  const [seen] = await sql<{ same_uid: string | null; dup: string | null }>(
    `select (select id from inbound_message where mailbox = ? and uid_validity = ? and uid = ?) as same_uid,
            (select id from inbound_message where content_sha256 = ? and message_id is not distinct from ? and state <> 'duplicate'
              order by id limit 1) as dup`,
    [input.mailbox ?? null, uidValidity, input.uid ?? null, sha, messageId],
  );
  if (seen?.same_uid) {
    if (input.source === 'imap' && !input.batchCursor) await advanceCursor(em, input.mailbox!, uidValidity!, input.uid!);
    return { id: seen.same_uid, alreadyStored: true };
  }
  const dupOf = seen?.dup ?? null;
  const chunks: Buffer[] = [];
  if (!dupOf) for (let i = 0; i < input.raw.length; i += RAW_CHUNK_BYTES) chunks.push(input.raw.subarray(i, i + RAW_CHUNK_BYTES));
  // Each chunk is its own parameter: node-pg sends a Buffer as binary, but an array of
  // Buffers as hex text, which doubles the bytes and costs the CPU of encoding them.
  const [row] = await sql<{ id: string }>(
    `with m as (
       insert into inbound_message (source, mailbox, uid_validity, uid, content_sha256, size, message_id, internal_date, archive, state, duplicate_of, outcome)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id),
     c as (insert into inbound_raw_chunk (inbound_message_id, seq, bytes) select m.id, 0, ?::bytea from m where ?::boolean)
     select id from m`,
    [
      input.source, input.mailbox ?? null, uidValidity, input.uid ?? null, sha, input.raw.length, messageId, input.internalDate ?? null,
      input.archive ?? false, dupOf ? 'duplicate' : 'stored', dupOf, dupOf ? 'duplicate' : null, chunks[0] ?? null, chunks.length > 0,
    ],
  );
  for (let seq = 1; seq < chunks.length; seq++) {
    await sql('insert into inbound_raw_chunk (inbound_message_id, seq, bytes) values (?, ?, ?)', [row!.id, seq, chunks[seq]]);
  }
  if (input.source === 'imap' && !input.batchCursor) await advanceCursor(em, input.mailbox!, uidValidity!, input.uid!);
  return { id: row!.id, alreadyStored: false, duplicateOf: dupOf ?? undefined };
}

export interface ImapBatchItem {
  uid: number;
  raw: Buffer;
  internalDate?: Date;
}

/**
 * A fetched batch of small IMAP messages in three statements, whatever its size: one asks what
 * is already stored (same UID, or same Message-ID and bytes), one inserts the new rows with
 * their chunks, and the caller advances the cursor. Per message that was two statements, and a
 * statement's socket write is most of what storing a small message costs this process.
 * Results are in the order of `items`. Two copies of one message inside the batch keep the
 * one-by-one path, so the second is recorded as a duplicate of the first.
 */
export async function storeRawBatch(
  em: EntityManager,
  target: { mailbox: string; uidValidity: string | number | bigint; archive?: boolean },
  items: ImapBatchItem[],
): Promise<StoreRawResult[]> {
  if (items.length === 0) return [];
  const sql = sqlOf(em);
  const uidValidity = String(target.uidValidity);
  const facts = items.map((it) => ({
    sha: createHash('sha256').update(it.raw).digest('hex'),
    messageId: headerMessageId(it.raw.subarray(0, 64 * 1024)),
  }));
  const seen = await sql<{ ord: string; same_uid: string | null; dup: string | null }>(
    `select t.ord,
            (select id from inbound_message where mailbox = ? and uid_validity = ? and uid = t.uid) as same_uid,
            (select id from inbound_message where content_sha256 = t.sha and message_id is not distinct from t.message_id
               and state <> 'duplicate' order by id limit 1) as dup
       from unnest(?::bigint[], ?::text[], ?::text[]) with ordinality as t(uid, sha, message_id, ord)`,
    [target.mailbox, uidValidity, pgArray(items.map((it) => it.uid)), pgArray(facts.map((f) => f.sha)), pgArray(facts.map((f) => f.messageId))],
  );
  const results: (StoreRawResult | undefined)[] = new Array(items.length);
  const fresh: number[] = [];
  const later: number[] = [];
  const inBatch = new Set<string>();
  for (const r of seen) {
    const i = Number(r.ord) - 1;
    if (r.same_uid) {
      results[i] = { id: r.same_uid, alreadyStored: true };
      continue;
    }
    const key = `${facts[i]!.sha} ${facts[i]!.messageId}`;
    if (!r.dup && inBatch.has(key)) later.push(i);
    else {
      if (!r.dup) inBatch.add(key);
      fresh.push(i);
      if (r.dup) results[i] = { id: '', alreadyStored: false, duplicateOf: r.dup };
    }
  }
  if (fresh.length > 0) {
    // Each chunk is its own parameter: node-pg sends a Buffer as binary, an array of Buffers
    // as hex text (twice the bytes, and the CPU to encode them).
    const params: unknown[] = [
      target.mailbox, uidValidity, target.archive ?? false,
      pgArray(fresh.map((i) => items[i]!.uid)),
      pgArray(fresh.map((i) => facts[i]!.sha)),
      pgArray(fresh.map((i) => items[i]!.raw.length)),
      pgArray(fresh.map((i) => facts[i]!.messageId)),
      pgArray(fresh.map((i) => items[i]!.internalDate?.toISOString() ?? null)),
      pgArray(fresh.map((i) => results[i]?.duplicateOf ?? null)),
    ];
    const chunkRows: string[] = [];
    for (const i of fresh) {
      if (results[i]?.duplicateOf) continue;
      const raw = items[i]!.raw;
      for (let off = 0, seq = 0; off < raw.length; off += RAW_CHUNK_BYTES, seq++) {
        params.push(items[i]!.uid, seq, raw.subarray(off, off + RAW_CHUNK_BYTES));
        chunkRows.push('(?::bigint, ?::integer, ?::bytea)');
      }
    }
    const rows = await sql<{ id: string; uid: string }>(
      `with m as (
         insert into inbound_message (source, mailbox, uid_validity, archive, uid, content_sha256, size, message_id, internal_date, duplicate_of, state, outcome)
         select 'imap', ?, ?, ?, t.uid, t.sha, t.size, t.message_id, t.internal_date, t.dup,
                case when t.dup is null then 'stored' else 'duplicate' end, case when t.dup is null then null else 'duplicate' end
           from unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::timestamptz[], ?::bigint[]) with ordinality
                as t(uid, sha, size, message_id, internal_date, dup, ord)
          order by t.ord
         returning id, uid)
       ${chunkRows.length ? `, c as (insert into inbound_raw_chunk (inbound_message_id, seq, bytes)
         select m.id, v.seq, v.bytes from m join (values ${chunkRows.join(', ')}) as v(uid, seq, bytes) on v.uid = m.uid)` : ''}
       select id, uid from m`,
      params,
    );
    const idByUid = new Map(rows.map((r) => [Number(r.uid), r.id]));
    for (const i of fresh) {
      const id = idByUid.get(items[i]!.uid)!;
      results[i] = results[i]?.duplicateOf ? { id, alreadyStored: false, duplicateOf: results[i]!.duplicateOf } : { id, alreadyStored: false };
    }
  }
  for (const i of later) {
    results[i] = await storeRaw(em, {
      source: 'imap', mailbox: target.mailbox, uidValidity, uid: items[i]!.uid, raw: items[i]!.raw,
      internalDate: items[i]!.internalDate, archive: target.archive, batchCursor: true,
    });
  }
  return results as StoreRawResult[];
}

export async function advanceCursor(em: EntityManager, mailbox: string, uidValidity: string, uid: number): Promise<void> {
  await sqlOf(em)(
    `insert into imap_cursor (mailbox, uid_validity, last_uid) values (?, ?, ?)
     on conflict (mailbox, uid_validity) do update
       set last_uid = greatest(imap_cursor.last_uid, excluded.last_uid), updated_at = now()`,
    [mailbox, uidValidity, uid],
  );
}

export async function readCursor(em: EntityManager, mailbox: string, uidValidity: string): Promise<number> {
  const [row] = await sqlOf(em)<{ last_uid: string }>(
    'select last_uid from imap_cursor where mailbox = ? and uid_validity = ?',
    [mailbox, uidValidity],
  );
  return row ? Number(row.last_uid) : 0;
}

/**
 * Rows of at most this many bytes when a message is streamed back. A stored chunk (1 MB)
 * comes back as 2 MB of hex text, which the driver gathers in a buffer doubled up to 4 MB, then
 * turns into a 2 MB string and a Buffer: ~8 MB of short-lived memory per MB read, in objects
 * too large for V8's young generation, so freed only at a full collection. Slices of 32 KB
 * (64 KB of hex, about one socket read) stay small and die young.
 */
const READ_SLICE_BYTES = 32 * 1024;

/** Streams a stored message's raw bytes back, one stored chunk per query, in slices. */
export function readRaw(em: EntityManager, inboundId: string): Readable {
  const sql = sqlOf(em);
  let seq = 0;
  return Readable.from(
    (async function* () {
      for (;;) {
        const rows = await sql<{ bytes: Buffer }>(
          `select substring(c.bytes from s.start for ?) as bytes
             from inbound_raw_chunk c, generate_series(1, greatest(octet_length(c.bytes), 1), ?) as s(start)
            where c.inbound_message_id = ? and c.seq = ?
            order by s.start`,
          [READ_SLICE_BYTES, READ_SLICE_BYTES, inboundId, seq++],
        );
        if (rows.length === 0) return;
        // By now the consumer is done with the chunk before.
        streamedPiece();
        for (const row of rows) if (row.bytes.length > 0) yield row.bytes;
      }
    })(),
    { objectMode: false },
  );
}

export async function readRawBuffer(em: EntityManager, inboundId: string): Promise<Buffer> {
  const rows = await sqlOf(em)<{ bytes: Buffer }>(
    'select bytes from inbound_raw_chunk where inbound_message_id = ? order by seq',
    [inboundId],
  );
  return Buffer.concat(rows.map((r) => r.bytes));
}

/** Where a stored message stands: its state, how it was filed and on what, or why it failed. */
export async function inboundOutcome(
  em: EntityManager,
  inboundId: string,
): Promise<{ state: string; outcome: string | null; record_ref: string | null; last_error: string | null } | undefined> {
  const [row] = await sqlOf(em)<{ state: string; outcome: string | null; record_ref: string | null; last_error: string | null }>(
    'select state, outcome, record_ref, last_error from inbound_message where id = ?',
    [inboundId],
  );
  return row;
}

// ── after filing and `mailroom import` ─────────────────────────────────────────────────────

/** This mailbox's filed/quarantined/duplicate messages still waiting for their keyword or move, by UID. */
export function messagesAwaitingServerAction(em: EntityManager, mailbox: string, uidValidity: unknown, limit: number): Promise<{ id: string; uid: string }[]> {
  return sqlOf(em)<{ id: string; uid: string }>(
    `select id, uid from inbound_message
     where mailbox = ? and uid_validity = ? and uid is not null and not server_action_done
       and state in ('filed', 'quarantined', 'duplicate')
     order by uid limit ${Math.trunc(limit)}`,
    [mailbox, uidValidity],
  );
}

export async function markServerActionDone(em: EntityManager, ids: string[]): Promise<void> {
  await sqlOf(em)('update inbound_message set server_action_done = true where id = any(?::bigint[])', [pgArray(ids)]);
}

/** Where each of these messages ended up (the import's summary). */
export function messageOutcomes(em: EntityManager, ids: string[]): Promise<{ id: string; state: string; outcome: string | null; last_error: string | null }[]> {
  return sqlOf(em)<{ id: string; state: string; outcome: string | null; last_error: string | null }>(
    'select id, state, outcome, last_error from inbound_message where id = any(?::bigint[]) order by id',
    [pgArray(ids)],
  );
}

/** How many of these messages are still in the pipeline, and how long until the first is due again. */
export async function messagesStillInPipeline(em: EntityManager, ids: string[]): Promise<{ pending: number; waitMs: number | null }> {
  const [row] = await sqlOf(em)<{ pending: string; wait_ms: number | null }>(
    `select count(*) as pending,
            greatest(0, extract(epoch from (min(next_attempt_at) - now())) * 1000)::float8 as wait_ms
       from inbound_message where id = any(?::bigint[]) and state in ('stored', 'parsed')`,
    [pgArray(ids)],
  );
  return { pending: Number(row?.pending ?? 0), waitMs: row?.wait_ms ?? null };
}
