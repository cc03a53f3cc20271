/**
 * Sends campaigns. Each recipient row is the unit of work: claimed with FOR UPDATE SKIP LOCKED
 * (status 'sending', claimed_by = this worker), sent, then marked in one statement per batch.
 * The transport journals each acceptance the moment it happens, so rows of a dead sender are
 * marked sent from its journal instead of being sent again, and rows it never handed over go
 * back to the queue — a crash or a pause never skips anyone and never sends a second copy.
 * Rates (global and per recipient domain) are token buckets; temporary failures come back with
 * backoff until `retryForMs` has passed since the row was queued.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { sqlOf } from '../db/sql.ts';
import { DeliveryJournal, orphanFates } from '../outbox/delivery-journal.ts';
import { WorkLoop } from '../scheduler/work-loop.ts';
import { RowsInHand } from '../outbox/rows-in-hand.ts';
import { DeliveryError } from '../outbox/delivery-error.ts';
import { backoffDelayMs } from '../outbox/backoff.ts';
import type { CampaignTransport } from './transport.ts';
import { AbsentClaimers, RECONNECT_GRACE_SECONDS, recordOutcome } from '../db/database-away.ts';
import { SendRateLimiter } from './rate-limit.ts';
import { compileCampaign, renderCampaignMail, type CompiledCampaign } from './render.ts';
import { findCampaign, finishCampaigns, forRender, renderContext } from './campaigns.ts';
import { suppress } from './subscribers.ts';
import { stops, suppressionsOf } from '../suppression/suppression-list.ts';
import type { NewsletterDeps } from './deps.ts';

export interface CampaignSenderOptions {
  em: EntityManager;
  deps: NewsletterDeps;
  transport: CampaignTransport;
  /** Must equal the application_name of this process's database connections. */
  workerId: string;
  journalDir?: string;
  log: Logger;
  metrics?: Metrics;
  batchSize?: number;
  concurrency?: number;
  pollIntervalMs?: number;
  /** How long a claimer's session must be missing before its rows are taken back (default 0; the daemon: ABSENT_CLAIMER_GRACE_MS). */
  absentGraceMs?: number;
  /** Called when a campaign finishes (summary to Slack, say). */
  onFinished?: (campaignId: string) => Promise<void> | void;
}

interface Row {
  id: string;
  campaign_id: string;
  subscriber_id: string;
  email: string;
  domain: string;
  attempts: number;
  created_at: Date;
  name: string | null;
  dnt: boolean;
  suppressed_reason: string | null;
}

export class CampaignSender {
  private lastRecovery = 0;
  private readonly absent: AbsentClaimers;
  private readonly compiled = new Map<string, CompiledCampaign>();
  private readonly limiter: SendRateLimiter;
  private readonly inHand = new RowsInHand(() => this.o.transport.idle?.());
  private readonly work: WorkLoop;

  constructor(private readonly o: CampaignSenderOptions) {
    this.absent = new AbsentClaimers(o.absentGraceMs ?? 0);
    const c = o.deps.config;
    this.limiter = new SendRateLimiter({ globalPerSecond: c.ratePerSecond, perDomainPerSecond: c.perDomainPerSecond, perDomain: c.perDomain });
    this.work = new WorkLoop({
      lanes: 2,
      pollIntervalMs: o.pollIntervalMs ?? 500,
      cycle: async () => {
        if (Date.now() - this.lastRecovery > 1000) {
          this.lastRecovery = Date.now();
          await this.recoverOrphans();
          for (const id of await finishCampaigns(this.o.em)) await this.finished(id);
        }
        return this.runOnce();
      },
      onError: (e) => o.log.error({ err: e }, 'campaign sender cycle failed; retrying'),
    });
  }

  start(): void {
    this.work.start();
  }

  async stop(): Promise<void> {
    await this.work.stop();
    await this.o.transport.close();
    if (this.o.journalDir) DeliveryJournal.remove(this.o.journalDir, this.o.workerId);
  }

  wake(): void {
    this.work.wake();
  }

  private sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return sqlOf(this.o.em)<T>(text, params);
  }

  /** A recipient row's outcome, written even if the database is restarting (see recordOutcome). */
  private record(text: string, params: unknown[]): Promise<unknown> {
    return recordOutcome(() => this.sql(text, params), { log: this.o.log, what: 'campaign recipients' });
  }

  private async finished(id: string): Promise<void> {
    this.compiled.delete(id);
    this.o.log.info({ campaignId: id }, 'campaign sent');
    await this.o.onFinished?.(id);
  }

  /** Rows of senders whose database session is gone: journaled ones are sent, the rest go back to the queue. */
  async recoverOrphans(): Promise<number> {
    const timeout = this.o.deps.config.claimTimeoutMs / 1000;
    const candidates = await this.sql<{ id: string; claimed_by: string | null; by_absence: boolean }>(
      `select id::text, claimed_by, (claimed_by is not null and claimed_at >= now() - make_interval(secs => ?)) as by_absence from newsletter_recipient
        where status = 'sending'
          and (claimed_by is null or claimed_at < now() - make_interval(secs => ?)
               or (claimed_by not in (select application_name from pg_stat_activity where application_name is not null)
                   and pg_postmaster_start_time() < now() - make_interval(secs => ?)))`,
      [timeout, timeout, RECONNECT_GRACE_SECONDS],
    );
    const gone = this.absent.longGone(candidates.filter((r) => r.by_absence).map((r) => r.claimed_by!));
    const orphans = candidates.filter((r) => !r.by_absence || gone.has(r.claimed_by!));
    if (orphans.length === 0) return 0;
    const { delivered, unsent, inDoubt, workers } = orphanFates(orphans, this.o.journalDir, this.o.workerId);
    if (delivered.length) {
      await this.sql(`update newsletter_recipient set status = 'sent', sent_at = now(), claimed_by = null where status = 'sending' and id = any(?::bigint[])`, [`{${delivered.join(',')}}`]);
    }
    if (unsent.length || inDoubt.length) {
      await this.sql(
        `update newsletter_recipient set status = 'queued', in_doubt = in_doubt or id = any(?::bigint[]), claimed_by = null where status = 'sending' and id = any(?::bigint[])`,
        [`{${inDoubt.join(',')}}`, `{${[...unsent, ...inDoubt].join(',')}}`],
      );
    }
    if (this.o.journalDir) for (const w of workers) DeliveryJournal.remove(this.o.journalDir, w);
    this.o.log.warn({ fromJournal: delivered.length, requeued: unsent.length + inDoubt.length, inDoubt: inDoubt.length }, 'campaign rows of a stopped sender taken back');
    return orphans.length;
  }

  private async compiledFor(id: string): Promise<CompiledCampaign> {
    let c = this.compiled.get(id);
    if (!c) {
      const row = await findCampaign(this.o.em, id);
      if (!row) throw new Error(`campaign ${id} vanished`);
      c = compileCampaign(forRender(row));
      this.compiled.set(id, c);
    }
    return c;
  }

  /** Claims one batch of due rows of sending campaigns and sends it. */
  async runOnce(): Promise<number> {
    const rows = await this.sql<Row>(
      `with due as (
         select r.id from newsletter_recipient r join newsletter_campaign c on c.id = r.campaign_id
          where r.status = 'queued' and r.next_attempt_at <= now() and c.status = 'sending'
          order by r.campaign_id, r.next_attempt_at, r.id
          limit ? for update of r skip locked)
       update newsletter_recipient r set status = 'sending', claimed_by = ?, claimed_at = now(), attempts = r.attempts + 1
         from due, newsletter_subscriber s
        where r.id = due.id and s.id = r.subscriber_id
       returning r.id::text, r.campaign_id::text, r.subscriber_id::text, r.email, r.domain, r.attempts, r.created_at, s.name, s.dnt, s.suppressed_reason`,
      [this.o.batchSize ?? this.o.deps.config.batchSize, this.o.workerId],
    );
    if (rows.length === 0) return 0;
    await this.inHand.hold(rows.length, () => this.sendBatch(rows));
    const campaigns = [...new Set(rows.map((r) => r.campaign_id))];
    for (const id of await finishCampaigns(this.o.em, campaigns)) await this.finished(id);
    return rows.length;
  }

  private async sendBatch(rows: Row[]): Promise<void> {
    const ctx = renderContext(this.o.deps);
    // The one suppression list, read now: an opt-out that arrived after the campaign started
    // (by link, by mail, by a complaint, by erasure) still stops the message, and the tracking.
    const listed = await suppressionsOf(this.o.em, this.o.deps.secret, rows.map((r) => r.email));
    const kindsOf = (email: string) => listed.get(email.trim().toLowerCase()) ?? [];
    const sent: string[] = [];
    const deferred: { id: string; ms: number }[] = [];
    const skipped: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        const kinds = kindsOf(row.email);
        if (kinds.some((k) => stops(k, 'marketing'))) {
          skipped.push(row.id);
          continue;
        }
        const untracked = row.dnt || kinds.some((k) => stops(k, 'tracking'));
        const wait = this.limiter.reserve(row.domain);
        if (wait > 1000) {
          this.limiter.refund(row.domain);
          deferred.push({ id: row.id, ms: wait });
          continue;
        }
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const cc = await this.compiledFor(row.campaign_id);
        const mail = renderCampaignMail(cc, { subscriberId: row.subscriber_id, email: row.email, name: row.name, dnt: untracked }, ctx);
        try {
          await this.o.transport.send(row.id, mail);
          sent.push(row.id);
        } catch (e) {
          await this.failed(row, e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 50, rows.length) }, worker));
    this.o.metrics?.newsletterSent.inc(sent.length);
    if (sent.length) {
      await this.record(`update newsletter_recipient set status = 'sent', sent_at = now(), last_error = null where id = any(?::bigint[]) and claimed_by = ? and status = 'sending'`, [`{${sent.join(',')}}`, this.o.workerId]);
    }
    if (skipped.length) {
      await this.record(`update newsletter_recipient set status = 'cancelled', last_error = 'suppressed' where id = any(?::bigint[]) and claimed_by = ? and status = 'sending'`, [`{${skipped.join(',')}}`, this.o.workerId]);
    }
    if (deferred.length) {
      await this.record(
        `update newsletter_recipient r set status = 'queued', claimed_by = null, attempts = r.attempts - 1, next_attempt_at = now() + make_interval(secs => d.ms / 1000.0)
           from (select unnest(?::bigint[]) as id, unnest(?::int[]) as ms) d
          where r.id = d.id and r.claimed_by = ? and r.status = 'sending'`,
        [`{${deferred.map((d) => d.id).join(',')}}`, `{${deferred.map((d) => d.ms).join(',')}}`, this.o.workerId],
      );
    }
  }

  private async failed(row: Row, e: unknown): Promise<void> {
    const err = e instanceof DeliveryError ? e : new DeliveryError(String((e as Error)?.message ?? e), false);
    const code = (err as { responseCode?: number }).responseCode ?? Number(/SMTP (\d{3})/.exec(err.message)?.[1] ?? 0);
    const age = Date.now() - new Date(row.created_at).getTime();
    if (err.permanent || age > this.o.deps.config.retryForMs) {
      // A 550/551/553 names the mailbox: a hard bounce, and the address is suppressed.
      const hard = err.permanent && [550, 551, 553].includes(code);
      await this.record(`update newsletter_recipient set status = ?, last_error = ? where id = ? and claimed_by = ? and status = 'sending'`, [hard ? 'bounced' : 'failed', err.message.slice(0, 500), row.id, this.o.workerId]);
      this.o.metrics?.newsletterFailed.inc({ reason: hard ? 'bounced' : 'failed' });
      if (hard) await suppress(this.o.em, this.o.deps.secret, row.email, 'hard-bounce', 'smtp');
      this.o.log.warn({ recipientId: row.id, campaignId: row.campaign_id, reason: err.message }, 'campaign recipient failed for good');
      return;
    }
    const c = this.o.deps.config;
    const delay = err.retryAfterMs ?? backoffDelayMs(row.attempts, c.backoffBaseMs, c.backoffMaxMs);
    await this.record(
      `update newsletter_recipient set status = 'queued', claimed_by = null, last_error = ?, next_attempt_at = now() + make_interval(secs => ?) where id = ? and claimed_by = ? and status = 'sending'`,
      [err.message.slice(0, 500), delay / 1000, row.id, this.o.workerId],
    );
  }
}

/** Counts per status for a campaign (progress bars, tests). */
export async function recipientCounts(em: EntityManager, campaignId: string): Promise<Record<string, number>> {
  const rows = await sqlOf(em)<{ status: string; n: string }>(`select status, count(*) as n from newsletter_recipient where campaign_id = ? group by status`, [campaignId]);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

