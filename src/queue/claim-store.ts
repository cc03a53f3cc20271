/**
 * What the claim queue needs from the table behind it: a few named queries, so the queue holds no
 * SQL and the business code (outbox dispatcher, campaign sender) holds none either.
 * `table-claim-store.ts` writes every query but the claim for a table with the usual columns.
 */

/** What every queued row carries. */
export interface QueuedRow {
  id: string;
  /** Counted at claim time, this attempt included. */
  attempts: number;
}

/** A row in 'sending' whose holder may be gone. */
export interface HeldRow {
  id: string;
  claimed_by: string | null;
  /** Taken for its holder's missing session alone (not the claim timeout): see AbsentClaimers. */
  by_absence?: boolean;
}

/** Where the rows of dead workers go, as their journals tell it (see delivery-journal.ts). */
export interface TakeBack {
  /** The peer accepted them: sent. */
  delivered: string[];
  /** Never handed over: back to the queue. */
  unsent: string[];
  /** May have been handed over: back to the queue, flagged in doubt. */
  inDoubt: string[];
}

/** The outcome of one claimed batch, written in one statement per kind by the holder. */
export interface Settlement {
  sent: { id: string; result: Record<string, unknown> | null }[];
  /** Temporary failures, back after `delayMs`. */
  retry: { id: string; error: string; delayMs: number }[];
  /** Failed for good, with the status that says how ('failed', 'bounced'). */
  failed: { id: string; error: string; status: string }[];
  /** Not to be sent at all ('cancelled' with the reason). */
  skipped: { id: string; reason: string }[];
  /** Not tried yet (a rate limit): back after `delayMs`, the attempt not counted. */
  deferred: { id: string; delayMs: number }[];
}

export interface ClaimStore<Row extends QueuedRow> {
  /**
   * Claims up to `limit` due rows with FOR UPDATE SKIP LOCKED: status 'sending', claimed_by =
   * the worker (its database application_name), attempts + 1.
   */
  claim(workerId: string, limit: number): Promise<Row[]>;
  /**
   * Rows held by a worker whose database session is gone (judged only once the server has been
   * up `reconnectGraceSeconds`), or held past `claimTimeoutMs`.
   */
  orphans(claimTimeoutMs: number, reconnectGraceSeconds: number): Promise<HeldRow[]>;
  takeBack(rows: TakeBack): Promise<void>;
  /** The workers among `workers` that still hold rows in 'sending' here. */
  holders(workers: string[]): Promise<string[]>;
  /** Writes a batch's outcomes; each update is guarded by claimed_by = the worker. */
  settle(workerId: string, s: Settlement): Promise<void>;
}
