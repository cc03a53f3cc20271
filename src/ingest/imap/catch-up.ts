/**
 * Catch-up (on every connect, every EXISTS and every watchdog probe): read the cursor for
 * (mailbox, UIDVALIDITY), list UIDs above it, then fetch and store them — small ones a batch per
 * transaction, large ones streamed alone — with the cursor advanced in the same transaction.
 * No IMAP command is ever issued inside a `for await` over fetch(): UIDs are collected first.
 * \Seen is never touched: imapflow fetches sources and downloads with BODY.PEEK.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { advanceCursor, readCursor, storeRaw, storeRawBatch, type StoreRawInput } from '../inbound-store.ts';
import { asDate, uidSet } from './imap-helpers.ts';
import type { MailboxWork, Session } from './session.ts';

const BATCH_MAX_MESSAGES = 100;
const BATCH_MAX_BYTES = 16 * 1024 * 1024;
/** How long catch-up waits for room in the raw cache once the processor stops taking from it. */
const RAW_CACHE_QUIET_MS = 250;
const DOWNLOAD_CHUNK_BYTES = 1024 * 1024;
/** At most this many messages found by a later catch-up of a session count as fresh (the fast lane). */
const FRESH_MAX_MESSAGES = BATCH_MAX_MESSAGES;

export async function catchUp(w: MailboxWork, s: Session): Promise<void> {
  const client = s.client;
  let skipIfNothingNew = false;
  if (s.reselect) {
    // The watchdog probe. SELECT again rather than STATUS: Dovecot answers STATUS on the selected
    // mailbox from the session's own (possibly stale) view, and tells a session nothing when its
    // mailbox is deleted and re-created underneath it. A fresh SELECT reports the real
    // UIDVALIDITY and UIDNEXT.
    s.reselect = false;
    const mb = await client.mailboxOpen(w.folder);
    const fresh = String(mb.uidValidity);
    if (fresh !== s.uidValidity) {
      w.log.warn({ before: s.uidValidity, after: fresh }, 'UIDVALIDITY changed: re-scanning the mailbox under the new value');
      s.uidValidity = fresh;
    }
    skipIfNothingNew = true;
  } else {
    const current = client.mailbox ? String(client.mailbox.uidValidity) : undefined;
    if (current && current !== s.uidValidity) {
      w.log.warn({ before: s.uidValidity, after: current }, 'UIDVALIDITY changed: re-scanning the mailbox under the new value');
      s.uidValidity = current;
    }
  }
  const uidValidity = s.uidValidity!;
  const cursor = await readCursor(w.orm.em.fork() as EntityManager, w.mailbox, uidValidity);
  const box = client.mailbox;
  if (!box) throw new Error(`${w.folder} is no longer selected`);
  if (box.exists === 0) return;
  // Right after SELECT, UIDNEXT is exact: skip the FETCH when nothing is above the cursor.
  if (skipIfNothingNew && box.uidNext !== undefined && box.uidNext - 1 <= cursor) return;

  // 1. Collect the UIDs above the cursor (no other command inside the loop). Whatever was
  //    announced before this listing is in it: the fast lane is for what comes after.
  s.freshAnnounced = false;
  const pending: { uid: number; size: number; internalDate?: Date }[] = [];
  for await (const m of client.fetch(`${cursor + 1}:*`, { uid: true, size: true, internalDate: true }, { uid: true })) {
    // `N:*` also returns the last message when nothing is newer than N.
    if (m.uid > cursor) pending.push({ uid: m.uid, size: m.size ?? 0, internalDate: asDate(m.internalDate) });
  }
  if (!pending.length) return;
  pending.sort((a, b) => a.uid - b.uid);
  // After this session's first catch-up, a few new messages are what IDLE (or the watchdog) just
  // found: the processor takes them ahead of any backlog still waiting in the database.
  const fresh = s.caughtUp && pending.length <= FRESH_MAX_MESSAGES;
  w.log.debug({ count: pending.length, from: pending[0]!.uid, to: pending.at(-1)!.uid }, 'catching up');

  // 2. Fetch and store them in UID order: small ones a batch per transaction, large ones streamed alone.
  //    While one batch is written to the database the next is fetched (otherwise the IMAP
  //    connection and the database each wait for the other). Stores still run one after the
  //    other in UID order, so the cursor never passes a message that is not stored.
  const large = w.largeMessageBytes;
  let storing: Promise<void> = Promise.resolve();
  let storeFailed = false;
  const storeInOrder = (items: { uid: number; raw: Buffer; internalDate?: Date }[]) => {
    storing = storing.then(async () => w.notifyStored(await storeBatch(w, s, items), fresh));
    // Awaited in `finally`; until then a failure only stops further fetching.
    storing.catch(() => (storeFailed = true));
  };
  // Mail announced while the backlog drains is stored ahead of it, above the highest listed UID.
  let listedTop = pending.at(-1)!.uid;
  const fastLane = async () => {
    while (s.freshAnnounced && w.canWork(s) && !storeFailed) {
      listedTop = await storeFresh(w, s, listedTop);
    }
  };
  let i = 0;
  try {
    while (i < pending.length && !storeFailed) {
      if (!w.canWork(s)) return;
      await fastLane();
      if (pending[i]!.size > large) {
        await storing;
        const m = pending[i++]!;
        const id = await storeLarge(w, s, m.uid, m.internalDate);
        if (id) w.notifyStored([id], fresh);
        continue;
      }
      const batch: typeof pending = [];
      let bytes = 0;
      while (
        i < pending.length &&
        pending[i]!.size <= large &&
        batch.length < BATCH_MAX_MESSAGES &&
        (batch.length === 0 || bytes + pending[i]!.size <= BATCH_MAX_BYTES)
      ) {
        bytes += pending[i]!.size;
        batch.push(pending[i++]!);
      }
      // Draining a backlog, fetch no further ahead than the processor can take from memory
      // (but stop waiting when new mail is announced: it goes first).
      if (w.rawCache) {
        await Promise.race([w.rawCache.room(RAW_CACHE_QUIET_MS), new Promise<void>((r) => (s.wakeForFresh = r))]);
        s.wakeForFresh = undefined;
        await fastLane();
        if (!w.canWork(s) || storeFailed) return;
      }
      const wanted = new Set(batch.map((b) => b.uid));
      const sources = new Map<number, { source: Buffer; internalDate?: Date }>();
      for await (const f of client.fetch(uidSet([...wanted]), { uid: true, source: true, internalDate: true }, { uid: true })) {
        if (f.source && wanted.has(f.uid)) sources.set(f.uid, { source: f.source, internalDate: asDate(f.internalDate) });
      }
      w.touch();
      if (!w.canWork(s)) return;
      const items: { uid: number; raw: Buffer; internalDate?: Date }[] = [];
      for (const b of batch) {
        const got = sources.get(b.uid);
        sources.delete(b.uid);
        if (!got) {
          w.log.warn({ uid: b.uid }, 'message disappeared from the mailbox before it could be fetched');
          continue;
        }
        items.push({ uid: b.uid, raw: got.source, internalDate: got.internalDate ?? b.internalDate });
      }
      // Announced while this batch was fetched: ahead of it too.
      await fastLane();
      // One batch waits for the one before it: at most two batches are held in memory.
      await storing;
      storeInOrder(items);
    }
    await fastLane();
  } finally {
    await storing;
  }
}

/**
 * The fast lane: stores the small messages above `above` (mail announced while a backlog
 * drains) that answer no earlier message in one transaction of their own and hands them to the
 * processor as fresh, ahead of the backlog. The cursor is not advanced: it still stands below the backlog, which is stored
 * after, and the next catch-up finds these already stored (by UID) and moves the cursor past
 * them. A crash in between re-fetches them and stores nothing twice. Large ones are left to
 * that next catch-up. Returns the highest UID seen, so the next round starts above it.
 */
async function storeFresh(w: MailboxWork, s: Session, above: number): Promise<number> {
  s.freshAnnounced = false;
  const client = s.client;
  const fresh: { uid: number; size: number; internalDate?: Date }[] = [];
  for await (const m of client.fetch(`${above + 1}:*`, { uid: true, size: true, internalDate: true }, { uid: true })) {
    if (m.uid > above) fresh.push({ uid: m.uid, size: m.size ?? 0, internalDate: asDate(m.internalDate) });
  }
  w.touch();
  const small = fresh.filter((m) => m.size <= w.largeMessageBytes).slice(0, BATCH_MAX_MESSAGES);
  if (!small.length || !w.canWork(s)) return above;
  const wanted = new Map(small.map((m) => [m.uid, m]));
  const items: { uid: number; raw: Buffer; internalDate?: Date }[] = [];
  for await (const f of client.fetch(uidSet([...wanted.keys()]), { uid: true, source: true, internalDate: true }, { uid: true })) {
    if (f.source && wanted.has(f.uid)) items.push({ uid: f.uid, raw: f.source, internalDate: asDate(f.internalDate) ?? wanted.get(f.uid)!.internalDate });
  }
  w.touch();
  // A reply could answer a message of the backlog not stored yet: only in UID order would the
  // filer see its original first, so replies wait for the next catch-up.
  const news = items.filter((it) => !isReply(it.raw)).sort((a, b) => a.uid - b.uid);
  if (!news.length || !w.canWork(s)) return above;
  w.log.debug({ count: news.length, from: news[0]!.uid }, 'new mail announced during catch-up: stored ahead of the backlog');
  w.notifyStored(await storeBatch(w, s, news, { advanceCursor: false }), true);
  // Large ones skipped here are above; the next catch-up (requested by the same EXISTS) takes them.
  return Math.max(above, ...news.map((it) => it.uid));
}

/** The message's header names an earlier message (In-Reply-To or References). */
export function isReply(raw: Buffer): boolean {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  return /^(in-reply-to|references)[ \t]*:/im.test(end === -1 ? head : head.slice(0, end));
}

/** Streams a large message through download() into storeRaw: it is never one Buffer. */
async function storeLarge(w: MailboxWork, s: Session, uid: number, internalDate?: Date): Promise<string | undefined> {
  const dl = await s.client.download(String(uid), undefined, { uid: true, chunkSize: DOWNLOAD_CHUNK_BYTES });
  const content = dl?.content;
  if (!content) {
    w.log.warn({ uid }, 'message disappeared from the mailbox before it could be downloaded');
    return undefined;
  }
  const touch = () => w.touch();
  async function* tap(stream: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
    for await (const chunk of stream) {
      touch();
      yield chunk;
    }
  }
  try {
    return await store(w, s, uid, tap(content), internalDate);
  } finally {
    if (!content.destroyed) content.destroy();
  }
}

/**
 * A fetched batch of small messages in one transaction, with the cursor advanced in it: one
 * commit per batch instead of per message. Returns the ids of newly stored messages.
 */
async function storeBatch(
  w: MailboxWork,
  s: Session,
  items: { uid: number; raw: Buffer; internalDate?: Date }[],
  o: { advanceCursor: boolean } = { advanceCursor: true },
): Promise<string[]> {
  if (items.length === 0) return [];
  const results = await w.orm.em.fork().transactional(async (em) => {
    const stored = await storeRawBatch(em as EntityManager, { mailbox: w.mailbox, uidValidity: s.uidValidity!, archive: w.archiveMode }, items);
    if (o.advanceCursor) await advanceCursor(em as EntityManager, w.mailbox, s.uidValidity!, Math.max(...items.map((it) => it.uid)));
    return stored.map((res, i) => ({ uid: items[i]!.uid, res }));
  });
  w.touch();
  const ids: string[] = [];
  for (const { uid, res } of results) {
    if (res.alreadyStored) continue;
    if (res.duplicateOf) {
      w.log.info({ uid, id: res.id, duplicateOf: res.duplicateOf }, 'message already stored before (same Message-ID and bytes): recorded as duplicate');
      continue;
    }
    w.metrics?.ingestStored.inc({ mailbox: w.mailbox });
    ids.push(res.id);
  }
  // results[i] belongs to items[i]: hand the bytes just stored to the processor.
  results.forEach(({ res }, i) => {
    if (!res.alreadyStored && !res.duplicateOf) w.rawCache?.put(res.id, items[i]!.raw);
  });
  return ids;
}

/** One message, one transaction. Returns the id when a new (non-duplicate) row was stored. */
async function store(w: MailboxWork, s: Session, uid: number, raw: StoreRawInput['raw'], internalDate?: Date): Promise<string | undefined> {
  const res = await w.orm.em.fork().transactional((em) =>
    storeRaw(em as EntityManager, {
      source: 'imap',
      mailbox: w.mailbox,
      uidValidity: s.uidValidity!,
      uid,
      raw,
      internalDate,
      archive: w.archiveMode,
    }),
  );
  w.touch();
  if (res.alreadyStored) return undefined;
  if (res.duplicateOf) {
    w.log.info({ uid, id: res.id, duplicateOf: res.duplicateOf }, 'message already stored before (same Message-ID and bytes): recorded as duplicate');
    return undefined;
  }
  w.metrics?.ingestStored.inc({ mailbox: w.mailbox });
  w.log.debug({ uid, id: res.id }, 'message stored');
  return res.id;
}
