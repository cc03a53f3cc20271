/**
 * This process as it works the claim queues: its worker id (= its database application_name,
 * which recovery looks for), the one delivery journal its SMTP agent writes for every queue,
 * and the rows it holds across them. The queues of one process share it, since they share the
 * agent: the journal may be emptied only when no queue has accepted rows still unmarked, and a
 * dead worker's journal may go only when no queue still has rows that worker held.
 */
import { DeliveryJournal, orphanFates, type OrphanFates } from './delivery-journal.ts';
import { RowsInHand } from './rows-in-hand.ts';
import type { HeldRow } from './claim-store.ts';

export interface QueueWorkerOptions {
  workerId: string;
  /** Where this host's agents journal accepted rows; without it, in-doubt rows are resent. */
  journalDir?: string;
  /** Every row claimed so far has its outcome in the database (the agent may empty its journal). */
  onIdle?: () => void;
}

interface Holders {
  holders(workers: string[]): Promise<string[]>;
}

export class QueueWorker {
  readonly inHand: RowsInHand;
  private readonly queues: Holders[] = [];
  private started = false;

  constructor(private readonly o: QueueWorkerOptions) {
    this.inHand = new RowsInHand(() => o.onIdle?.());
  }

  get workerId(): string {
    return this.o.workerId;
  }

  /**
   * A queue whose rows the journals speak of. Every queue joins before any starts: the first
   * recovery pass may remove a dead worker's journal, and a queue not yet joined would then
   * find its rows' fates gone (and resend them in doubt).
   */
  join(queue: Holders): void {
    if (this.started) throw new Error('a claim queue joined its worker after another queue had started; construct every queue first');
    this.queues.push(queue);
  }

  /** A queue of this worker starts: no more may join. */
  starting(): void {
    this.started = true;
  }

  /** What the journals on this host say became of rows held by dead workers. */
  fates(orphans: HeldRow[], keyOf: (id: string) => string): OrphanFates {
    return orphanFates(orphans, this.o.journalDir, this.o.workerId, keyOf);
  }

  /**
   * Removes the journals of dead workers that hold no rows in any queue any more. A queue
   * still holding some has not read the journal yet: its own recovery removes it later.
   */
  async forget(workers: string[]): Promise<void> {
    const dir = this.o.journalDir;
    if (!dir || workers.length === 0) return;
    const still = new Set<string>();
    for (const q of this.queues) for (const w of await q.holders(workers)) still.add(w);
    for (const w of workers) if (!still.has(w)) DeliveryJournal.remove(dir, w);
  }

  /** On a clean stop, after the agent closed: nothing of ours is left to recover. */
  removeJournal(): void {
    if (this.o.journalDir) DeliveryJournal.remove(this.o.journalDir, this.o.workerId);
  }
}
