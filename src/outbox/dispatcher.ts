import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import type { Deliverer } from './deliverer.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { ClaimQueue } from '../queue/claim-queue.ts';
import { QueueWorker } from '../queue/queue-worker.ts';
import { outboxQueueStore, type OutboxRow } from './outbox-queue-store.ts';
import { ROW_KEY_PREFIX } from './transports/agent-handover-store.ts';

export interface DispatcherOptions {
  em: EntityManager;
  deliverers: Partial<Record<string, Deliverer>>;
  /** Must equal the application_name of this process's database connections. */
  workerId: string;
  log: Logger;
  metrics?: Metrics;
  batchSize: number;
  concurrency: number;
  pollIntervalMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  claimTimeoutMs: number;
  /** Where deliverers on this host journal accepted rows (see delivery-journal.ts); without it, in-doubt rows are resent. */
  journalDir?: string;
  /**
   * The process's queue worker, shared with the campaign sender (one SMTP agent, one journal);
   * its owner removes the journal. Without it the dispatcher works alone under `workerId`.
   */
  worker?: QueueWorker;
  /** How long a claimer's session must be missing before its rows are taken back (default 0; the daemon: ABSENT_CLAIMER_GRACE_MS). */
  absentGraceMs?: number;
}

/**
 * Delivers outbox rows through the claim queue (src/queue/claim-queue.ts), each channel's rows
 * at its deliverer's pace. Several dispatchers may share one database.
 */
export class OutboxDispatcher {
  private readonly queue: ClaimQueue<OutboxRow>;
  private readonly worker: QueueWorker;

  constructor(private readonly o: DispatcherOptions) {
    this.worker =
      o.worker ??
      new QueueWorker({
        workerId: o.workerId,
        journalDir: o.journalDir,
        onIdle: () => {
          for (const d of Object.values(o.deliverers)) d?.idle?.();
        },
      });
    this.queue = new ClaimQueue<OutboxRow>({
      name: 'outbox dispatcher',
      store: outboxQueueStore(o.em, Object.keys(o.deliverers)),
      worker: this.worker,
      log: o.log,
      batchSize: o.batchSize,
      pollIntervalMs: o.pollIntervalMs,
      claimTimeoutMs: o.claimTimeoutMs,
      journalPrefix: ROW_KEY_PREFIX.outbox_message,
      absentGraceMs: o.absentGraceMs,
      backoff: { baseMs: o.backoffBaseMs, maxMs: o.backoffMaxMs },
      giveUp: (row) => row.attempts >= o.maxAttempts,
      begin: async () => (row) => this.deliverOne(row),
      laneOf: (row) => row.channel,
      laneLimit: (channel) => o.deliverers[channel]?.maxInFlight ?? o.concurrency,
      gaveUp: (row, err) => {
        o.metrics?.outboxFailed.inc({ channel: row.channel });
        o.log.error({ outboxId: row.id, channel: row.channel, attempts: row.attempts, reason: err.message }, 'outbox delivery failed for good');
      },
      retrying: (row, err, delay) => {
        o.metrics?.outboxRetried.inc({ channel: row.channel });
        o.log.warn({ outboxId: row.id, channel: row.channel, attempts: row.attempts, retryInMs: delay, reason: err.message }, 'outbox delivery will be retried');
      },
      recoveredMessage: 'outbox rows of a stopped dispatcher taken back',
    });
  }

  start(): void {
    this.queue.start();
  }

  /** Finishes the rows in hand, then stops. */
  async stop(): Promise<void> {
    await this.queue.stop();
    if (!this.o.worker) this.worker.removeJournal();
  }

  /** Called after a commit that enqueued something, to skip the poll wait. */
  wake(): void {
    this.queue.wake();
  }

  recoverOrphans(): Promise<number> {
    return this.queue.recoverOrphans();
  }

  /** Claims one batch and delivers it; returns how many rows were handled. */
  runOnce(): Promise<number> {
    return this.queue.runOnce();
  }

  private async deliverOne(r: OutboxRow) {
    const started = performance.now();
    const { result } = await this.o.deliverers[r.channel]!.deliver({
      id: r.id,
      channel: r.channel,
      payload: r.payload,
      messageId: r.message_id,
      attempts: r.attempts,
      inDoubt: r.in_doubt,
      result: r.result,
    });
    this.o.metrics?.outboxDelivered.inc({ channel: r.channel });
    this.o.metrics?.outboxDeliverySeconds.observe({ channel: r.channel }, (performance.now() - started) / 1000);
    return { sent: result ?? {} };
  }
}
