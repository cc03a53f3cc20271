/**
 * The one durable work queue under the outbox dispatcher and the campaign sender. A row is the
 * unit of work: claimed with FOR UPDATE SKIP LOCKED by this worker (claimed_by = its database
 * application_name), worked by a pool of at most `laneLimit` rows at once per lane, and its
 * outcome written with the batch's others, each update guarded by claimed_by, so a row is only
 * ever finished by the worker that holds it. Rows of a worker whose session is gone are taken
 * back from the journal its SMTP agent kept (delivered: sent; never handed over: queued again;
 * unknown: queued again in doubt). Temporary failures come back with backoff until `giveUp`.
 *
 * Several queues of one process share a QueueWorker (and so the SMTP agent and its journal);
 * their rows are kept apart in the journal by `journalPrefix`.
 */
import type { Logger } from '../logging/logger.ts';
import { WorkLoop } from '../scheduler/work-loop.ts';
import { backoffDelayMs } from './backoff.ts';
import { DeliveryError } from './delivery-error.ts';
import type { ClaimStore, QueuedRow, Settlement } from './claim-store.ts';
import type { QueueWorker } from './queue-worker.ts';
import { AbsentClaimers, RECONNECT_GRACE_SECONDS, recordOutcome } from '../db/database-away.ts';

/** What became of one row. */
export type Outcome =
  | { sent: Record<string, unknown> | null }
  /** A failure: retried with backoff, or given up (`giveUp`, or a permanent DeliveryError). */
  | { error: unknown }
  /** Not to be sent at all: cancelled with this reason. */
  | { skip: string }
  /** Not tried (a rate limit): back in this many ms, the attempt not counted. */
  | { defer: number };

export interface ClaimQueueOptions<Row extends QueuedRow> {
  /** Names the queue in logs ('outbox dispatcher', 'campaign sender'). */
  name: string;
  store: ClaimStore<Row>;
  worker: QueueWorker;
  log: Logger;
  batchSize: number;
  pollIntervalMs: number;
  claimTimeoutMs: number;
  /** How long a claimer's session must be missing before its rows are taken back (default 0; the daemon: ABSENT_CLAIMER_GRACE_MS). */
  absentGraceMs?: number;
  /**
   * Prefixed to a row's id to name it in the shared journal. The outbox's is empty, so journals
   * written before the queues shared one still read right after an upgrade.
   */
  journalPrefix: string;
  backoff: { baseMs: number; maxMs: number };
  /** A temporary failure that should not be retried any more (too many attempts, too old). */
  giveUp(row: Row): boolean;
  /**
   * Called once per claimed batch (a lookup for all its rows, say); returns how one row is
   * worked. The row's journal key is what the transport must journal on acceptance.
   */
  begin(rows: Row[]): Promise<(row: Row, journalKey: string) => Promise<Outcome>>;
  /** Rows sharing a lane are worked in claim order, at most `laneLimit(lane)` at once. */
  laneOf?(row: Row): string;
  laneLimit(lane: string): number;
  /** A row failed for good: returns its final status (default 'failed'); metrics, logs. */
  gaveUp?(row: Row, err: DeliveryError): Promise<string | void> | string | void;
  retrying?(row: Row, err: DeliveryError, delayMs: number): void;
  /** After each batch's outcomes are written. */
  afterBatch?(rows: Row[]): Promise<void>;
  /** After each recovery pass (about once a second). */
  afterRecovery?(): Promise<void>;
  /** The rows taken back from a dead worker, for the log. */
  recoveredMessage: string;
}

export class ClaimQueue<Row extends QueuedRow> {
  private lastRecovery = 0;
  private readonly work: WorkLoop;
  private readonly absent: AbsentClaimers;

  constructor(private readonly o: ClaimQueueOptions<Row>) {
    this.absent = new AbsentClaimers(o.absentGraceMs ?? 0);
    o.worker.join(o.store);
    // Two batches in flight at once: while one drains, the next is already claimed and
    // sending, so the transport's connections never sit idle at a batch boundary.
    this.work = new WorkLoop({
      lanes: 2,
      pollIntervalMs: o.pollIntervalMs,
      cycle: async () => {
        if (Date.now() - this.lastRecovery > 1_000) {
          this.lastRecovery = Date.now();
          await this.recoverOrphans();
          await o.afterRecovery?.();
        }
        return this.runOnce();
      },
      onError: (e) => o.log.error({ err: e }, `${o.name} cycle failed; retrying`),
    });
  }

  start(): void {
    this.o.worker.starting();
    this.work.start();
  }

  /** Finishes the rows in hand, then stops. */
  stop(): Promise<void> {
    return this.work.stop();
  }

  /** Called after a commit that enqueued something, to skip the poll wait. */
  wake(): void {
    this.work.wake();
  }

  private journalKey(id: string): string {
    return this.o.journalPrefix + id;
  }

  /**
   * Rows held by a worker whose database session is gone (its process died) go back to the
   * queue, marked in doubt: the dead worker may have handed them over already. Where its
   * journal on this host says the peer accepted a row, the row is marked sent instead.
   */
  async recoverOrphans(): Promise<number> {
    const candidates = await this.o.store.orphans(this.o.claimTimeoutMs, RECONNECT_GRACE_SECONDS);
    const gone = this.absent.longGone(candidates.filter((r) => r.by_absence).map((r) => r.claimed_by!));
    const orphans = candidates.filter((r) => !r.by_absence || gone.has(r.claimed_by!));
    if (orphans.length === 0) return 0;
    const { delivered, unsent, inDoubt, workers } = this.o.worker.fates(orphans, (id) => this.journalKey(id));
    await this.o.store.takeBack({ delivered, unsent, inDoubt });
    await this.o.worker.forget(workers);
    this.o.log.warn({ delivered: delivered.length, unsent: unsent.length, inDoubt: inDoubt.length }, this.o.recoveredMessage);
    return orphans.length;
  }

  /** Claims one batch and works it; returns how many rows were handled. */
  async runOnce(): Promise<number> {
    const rows = await this.o.store.claim(this.o.worker.workerId, this.o.batchSize);
    if (rows.length === 0) return 0;
    await this.o.worker.inHand.hold(rows.length, () => this.workBatch(rows));
    await this.o.afterBatch?.(rows);
    return rows.length;
  }

  private async workBatch(rows: Row[]): Promise<void> {
    const one = await this.o.begin(rows);
    const s: Settlement = { sent: [], retry: [], failed: [], skipped: [], deferred: [] };
    const lanes = new Map<string, Row[]>();
    for (const r of rows) {
      const lane = this.o.laneOf?.(r) ?? '';
      const list = lanes.get(lane);
      if (list) list.push(r);
      else lanes.set(lane, [r]);
    }
    await Promise.all(
      [...lanes].map(async ([lane, own]) => {
        let next = 0;
        const worker = async () => {
          while (next < own.length) {
            const row = own[next++]!;
            let outcome: Outcome;
            try {
              outcome = await one(row, this.journalKey(row.id));
            } catch (e) {
              outcome = { error: e };
            }
            await this.record(s, row, outcome);
          }
        };
        await Promise.all(Array.from({ length: Math.min(this.o.laneLimit(lane), own.length) }, worker));
      }),
    );
    // One statement per kind of outcome for the whole batch: a round trip per row would cost
    // more than the SMTP transaction. Safe because the transport journals each acceptance the
    // moment it happens, so a crash before this commit does not make these rows look unsent.
    // Written even across a database restart (recordOutcome): dropped, the rows would stay
    // claimed and later be resent in doubt. Each statement is guarded by status and claimer,
    // so writing the whole settlement again changes nothing already written.
    await recordOutcome(() => this.o.store.settle(this.o.worker.workerId, s), { log: this.o.log, what: `${this.o.name} outcomes` });
  }

  private async record(s: Settlement, row: Row, outcome: Outcome): Promise<void> {
    if ('sent' in outcome) return void s.sent.push({ id: row.id, result: outcome.sent });
    if ('skip' in outcome) return void s.skipped.push({ id: row.id, reason: outcome.skip });
    if ('defer' in outcome) return void s.deferred.push({ id: row.id, delayMs: outcome.defer });
    const e = outcome.error;
    const err = e instanceof DeliveryError ? e : new DeliveryError(String((e as Error)?.message ?? e), false);
    if (err.permanent || this.o.giveUp(row)) {
      const status = (await this.o.gaveUp?.(row, err)) || 'failed';
      s.failed.push({ id: row.id, error: err.message, status });
      return;
    }
    const delayMs = err.retryAfterMs ?? backoffDelayMs(row.attempts, this.o.backoff.baseMs, this.o.backoff.maxMs);
    this.o.retrying?.(row, err, delayMs);
    s.retry.push({ id: row.id, error: err.message, delayMs });
  }
}
