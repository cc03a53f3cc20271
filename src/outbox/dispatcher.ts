import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import type { ClaimedRow, Deliverer } from './deliverer.ts';
import { DeliveryError } from './delivery-error.ts';
import { backoffDelayMs } from './backoff.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { DeliveryJournal, orphanFates } from './delivery-journal.ts';
import { pgArray, sqlOf } from '../db/sql.ts';
import { WorkLoop } from '../scheduler/work-loop.ts';
import { RowsInHand } from './rows-in-hand.ts';
import { AbsentClaimers, RECONNECT_GRACE_SECONDS, recordOutcome } from '../db/database-away.ts';

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
  /** How long a claimer's session must be missing before its rows are taken back (default 0; the daemon: ABSENT_CLAIMER_GRACE_MS). */
  absentGraceMs?: number;
}

interface RowRecord {
  id: string;
  channel: string;
  payload: Record<string, unknown>;
  message_id: string | null;
  attempts: number;
  in_doubt: boolean;
  result: Record<string, unknown> | null;
}

/**
 * Delivers outbox rows. Several dispatchers may share one database: claiming uses
 * FOR UPDATE SKIP LOCKED, and every later update is guarded by `claimed_by`, so a row is only
 * ever finished by the dispatcher that holds it.
 */
export class OutboxDispatcher {
  private lastRecovery = 0;
  private readonly absent: AbsentClaimers;
  private readonly inHand = new RowsInHand(() => {
    for (const d of Object.values(this.o.deliverers)) d?.idle?.();
  });
  private readonly work: WorkLoop;

  constructor(private readonly o: DispatcherOptions) {
    this.absent = new AbsentClaimers(o.absentGraceMs ?? 0);
    // Two batches in flight at once: while one drains, the next is already claimed and
    // sending, so the transport's connections never sit idle at a batch boundary.
    this.work = new WorkLoop({
      lanes: 2,
      pollIntervalMs: o.pollIntervalMs,
      cycle: async () => {
        if (Date.now() - this.lastRecovery > 1_000) {
          this.lastRecovery = Date.now();
          await this.recoverOrphans();
        }
        return this.runOnce();
      },
      onError: (e) => o.log.error({ err: e }, 'outbox dispatcher cycle failed; retrying'),
    });
  }

  start(): void {
    this.work.start();
  }

  /** Finishes the rows in hand, then stops. */
  async stop(): Promise<void> {
    await this.work.stop();
    if (this.o.journalDir) DeliveryJournal.remove(this.o.journalDir, this.o.workerId);
  }

  /** Called after a commit that enqueued something, to skip the poll wait. */
  wake(): void {
    this.work.wake();
  }

  private exec<T>(sql: string, params: unknown[]): Promise<T> {
    return sqlOf(this.o.em)(sql, params) as Promise<T>;
  }

  /** A row's outcome, written even if the database is restarting (see recordOutcome). */
  private record(sql: string, params: unknown[], what: string): Promise<unknown> {
    return recordOutcome(() => this.exec(sql, params), { log: this.o.log, what });
  }

  /**
   * Rows held by a dispatcher whose database session is gone (its process died) go back to
   * pending, marked in doubt: the dead dispatcher may have handed them over already. Where its
   * delivery journal on this host says the peer accepted a row, the row is marked sent instead.
   */
  async recoverOrphans(): Promise<number> {
    const candidates = await this.exec<{ id: string; claimed_by: string | null; by_absence: boolean }[]>(
      `select id, claimed_by, (claimed_by is not null and claimed_at >= now() - make_interval(secs => ?)) as by_absence from outbox_message
       where status = 'sending'
         and (claimed_by is null
              or claimed_at < now() - make_interval(secs => ?)
              or (claimed_by not in (select application_name from pg_stat_activity where application_name is not null)
                   and pg_postmaster_start_time() < now() - make_interval(secs => ?)))`,
      [this.o.claimTimeoutMs / 1000, this.o.claimTimeoutMs / 1000, RECONNECT_GRACE_SECONDS],
    );
    const gone = this.absent.longGone(candidates.filter((r) => r.by_absence).map((r) => r.claimed_by!));
    const orphans = candidates.filter((r) => !r.by_absence || gone.has(r.claimed_by!));
    if (orphans.length === 0) return 0;
    const { delivered, unsent, inDoubt, workers } = orphanFates(orphans, this.o.journalDir, this.o.workerId);
    if (delivered.length) {
      await this.exec(
        `update outbox_message set status = 'sent', sent_at = now(), claimed_by = null, result = '{"recoveredFromJournal":true}', updated_at = now()
         where status = 'sending' and id = any(?::bigint[])`,
        [`{${delivered.join(',')}}`],
      );
    }
    if (unsent.length || inDoubt.length) {
      await this.exec(
        `update outbox_message set status = 'pending', in_doubt = in_doubt or id = any(?::bigint[]), claimed_by = null, updated_at = now()
         where status = 'sending' and id = any(?::bigint[])`,
        [`{${inDoubt.join(',')}}`, `{${[...unsent, ...inDoubt].join(',')}}`],
      );
    }
    if (this.o.journalDir) for (const w of workers) DeliveryJournal.remove(this.o.journalDir, w);
    this.o.log.warn({ delivered: delivered.length, unsent: unsent.length, inDoubt: inDoubt.length }, 'outbox rows of a stopped dispatcher taken back');
    return orphans.length;
  }

  /** Claims one batch and delivers it; returns how many rows were handled. */
  async runOnce(): Promise<number> {
    const rows = await this.exec<RowRecord[]>(
      `with due as (
         select id from outbox_message
         where status = 'pending' and next_attempt_at <= now() and channel = any(?::text[])
         order by next_attempt_at, id
         limit ? for update skip locked)
       update outbox_message o
          set status = 'sending', claimed_by = ?, claimed_at = now(), attempts = o.attempts + 1, updated_at = now()
         from due where o.id = due.id
       returning o.id, o.channel, o.payload, o.message_id, o.attempts, o.in_doubt, o.result`,
      [`{${Object.keys(this.o.deliverers).join(',')}}`, this.o.batchSize, this.o.workerId],
    );
    if (rows.length === 0) return 0;
    await this.inHand.hold(rows.length, async () => {
      const sent: { id: string; result: Record<string, unknown> }[] = [];
      // Each channel's rows go at its deliverer's pace, in claim order within the channel.
      const byChannel = new Map<string, RowRecord[]>();
      for (const r of rows) {
        const list = byChannel.get(r.channel);
        if (list) list.push(r);
        else byChannel.set(r.channel, [r]);
      }
      await Promise.all(
        [...byChannel].map(async ([channel, own]) => {
          let next = 0;
          const worker = async () => {
            while (next < own.length) {
              const row = own[next++]!;
              const result = await this.deliverOne(row);
              if (result) sent.push({ id: row.id, result });
            }
          };
          const limit = this.o.deliverers[channel]?.maxInFlight ?? this.o.concurrency;
          await Promise.all(Array.from({ length: Math.min(limit, own.length) }, worker));
        }),
      );
      await this.markSent(sent);
    });
    return rows.length;
  }

  /**
   * One statement for the whole batch: the per-row round trip would otherwise cost more than
   * the SMTP transaction. Safe because the sender journals each acceptance the moment it
   * happens, so a crash before this commit does not make these rows look unsent.
   */
  private async markSent(sent: { id: string; result: Record<string, unknown> }[]): Promise<void> {
    if (sent.length === 0) return;
    await this.record(
      `update outbox_message o set status = 'sent', sent_at = now(), result = s.result, last_error = null, updated_at = now()
         from (select unnest(?::bigint[]) as id, unnest(?::jsonb[]) as result) s
        where o.id = s.id and o.claimed_by = ? and o.status = 'sending'`,
      [`{${sent.map((s) => s.id).join(',')}}`, pgArray(sent.map((s) => JSON.stringify(s.result))), this.o.workerId],
      'outbox rows sent',
    );
  }

  /** Delivers one row; returns its result when delivered (marked by the caller), null otherwise. */
  private async deliverOne(r: RowRecord): Promise<Record<string, unknown> | null> {
    const row: ClaimedRow = {
      id: r.id,
      channel: r.channel,
      payload: r.payload,
      messageId: r.message_id,
      attempts: r.attempts,
      inDoubt: r.in_doubt,
      result: r.result,
    };
    const deliverer = this.o.deliverers[row.channel]!;
    const started = performance.now();
    try {
      const { result } = await deliverer.deliver(row);
      this.o.metrics?.outboxDelivered.inc({ channel: row.channel });
      this.o.metrics?.outboxDeliverySeconds.observe({ channel: row.channel }, (performance.now() - started) / 1000);
      return result ?? {};
    } catch (e) {
      const err = e instanceof DeliveryError ? e : new DeliveryError(String((e as Error)?.message ?? e), false);
      const final = err.permanent || row.attempts >= this.o.maxAttempts;
      if (final) {
        await this.record(
          `update outbox_message set status = 'failed', last_error = ?, updated_at = now()
           where id = ? and claimed_by = ? and status = 'sending'`,
          [err.message, row.id, this.o.workerId],
          'outbox row failed',
        );
        this.o.metrics?.outboxFailed.inc({ channel: row.channel });
        this.o.log.error({ outboxId: row.id, channel: row.channel, attempts: row.attempts, reason: err.message }, 'outbox delivery failed for good');
      } else {
        const delay = err.retryAfterMs ?? backoffDelayMs(row.attempts, this.o.backoffBaseMs, this.o.backoffMaxMs);
        await this.record(
          `update outbox_message set status = 'pending', last_error = ?, claimed_by = null,
                  next_attempt_at = now() + make_interval(secs => ?), updated_at = now()
           where id = ? and claimed_by = ? and status = 'sending'`,
          [err.message, delay / 1000, row.id, this.o.workerId],
          'outbox row retry',
        );
        this.o.metrics?.outboxRetried.inc({ channel: row.channel });
        this.o.log.warn({ outboxId: row.id, channel: row.channel, attempts: row.attempts, retryInMs: delay, reason: err.message }, 'outbox delivery will be retried');
      }
      return null;
    }
  }
}
