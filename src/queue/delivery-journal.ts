import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Closes most of the gap between "the peer accepted the message" and "the database knows".
 *
 * The database update after a send takes a round trip (and is batched); a process killed in
 * between leaves a row that was delivered but looks unsent. So the SMTP deliverer appends the
 * row's journal key (see claim-queue.ts) to a per-worker file with a synchronous write the
 * moment the peer accepts. No fsync: kill -9 does not lose the page cache, only a power cut
 * does (and then the row is resent with the same Message-ID). Recovery reads the journals of
 * dead workers on this host and marks their rows sent instead of resending them.
 */
/** Written last by a deliverer that closed with no transaction in flight. */
export const JOURNAL_COMPLETE = '#complete';

export interface JournalContents {
  /** Rows the peer accepted. */
  delivered: Set<string>;
  /** The deliverer closed cleanly: rows not listed were never accepted. */
  complete: boolean;
}

export const DeliveryJournal = {
  file(dir: string, workerId: string): string {
    mkdirSync(dir, { recursive: true });
    return path.join(dir, Buffer.from(workerId).toString('base64url') + '.journal');
  },

  /** What other workers on this host recorded, keyed by worker id. */
  readOthers(dir: string, selfId: string): Map<string, JournalContents> {
    const out = new Map<string, JournalContents>();
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.journal'));
    } catch {
      return out;
    }
    for (const name of names) {
      const workerId = Buffer.from(name.slice(0, -'.journal'.length), 'base64url').toString();
      if (workerId === selfId) continue;
      const lines = readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean);
      out.set(workerId, { delivered: new Set(lines.filter((l) => l !== JOURNAL_COMPLETE)), complete: lines.at(-1) === JOURNAL_COMPLETE });
    }
    return out;
  },

  remove(dir: string, workerId: string): void {
    rmSync(DeliveryJournal.file(dir, workerId), { force: true });
  },
};

/** What became of rows held by senders that are gone, as their journals tell it. */
export interface OrphanFates {
  /** The peer accepted them: mark sent. */
  delivered: string[];
  /** Their sender's journal is complete: they never reached the peer, send again. */
  unsent: string[];
  /** No complete journal: they may have reached the peer, send again flagged in doubt. */
  inDoubt: string[];
  /** Workers whose journals were read (remove them once the rows are updated). */
  workers: string[];
}

/**
 * Decides, from the journals in `dir`, what happened to rows claimed by dead senders. `keyOf`
 * gives a row's name in the journal (queues sharing one journal keep their ids apart).
 */
export function orphanFates(
  orphans: { id: string; claimed_by: string | null }[],
  dir: string | undefined,
  selfId: string,
  keyOf: (id: string) => string = (id) => id,
): OrphanFates {
  const journals = dir ? DeliveryJournal.readOthers(dir, selfId) : new Map<string, JournalContents>();
  const fates: OrphanFates = { delivered: [], unsent: [], inDoubt: [], workers: [] };
  for (const r of orphans) {
    const j = r.claimed_by ? journals.get(r.claimed_by) : undefined;
    if (j?.delivered.has(keyOf(r.id))) fates.delivered.push(r.id);
    else if (j?.complete) fates.unsent.push(r.id);
    else fates.inDoubt.push(r.id);
  }
  fates.workers = [...new Set(orphans.map((r) => r.claimed_by).filter((w): w is string => !!w))];
  return fates;
}
