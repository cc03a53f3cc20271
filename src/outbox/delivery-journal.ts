import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Closes most of the gap between "the peer accepted the message" and "the database knows".
 *
 * The database update after a send takes a round trip (and is batched); a
 * process killed in between leaves a row that was delivered but looks unsent. So the SMTP
 * deliverer appends the row id to a per-dispatcher file with a synchronous write the
 * moment the peer accepts. No fsync: kill -9 does not lose the page cache, only a power cut
 * does (and then the row is resent with the same Message-ID). Recovery reads the journals of
 * dead dispatchers on this host and marks their rows sent instead of resending them.
 */
export const DeliveryJournal = {
  file(dir: string, workerId: string): string {
    mkdirSync(dir, { recursive: true });
    return path.join(dir, Buffer.from(workerId).toString('base64url') + '.journal');
  },

  /** Row ids recorded by other dispatchers on this host, keyed by worker id. */
  readOthers(dir: string, selfId: string): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.journal'));
    } catch {
      return out;
    }
    for (const name of names) {
      const workerId = Buffer.from(name.slice(0, -'.journal'.length), 'base64url').toString();
      if (workerId === selfId) continue;
      out.set(workerId, new Set(readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean)));
    }
    return out;
  },

  remove(dir: string, workerId: string): void {
    rmSync(DeliveryJournal.file(dir, workerId), { force: true });
  },
};
