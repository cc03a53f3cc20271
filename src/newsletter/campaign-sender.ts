/**
 * Sends campaigns through the claim queue (src/queue/claim-queue.ts): each recipient row is
 * the unit of work, so a crash or a pause never skips anyone and never sends a second copy.
 * Rates (global and per recipient domain) are token buckets: a row whose turn is more than a
 * second away goes back uncounted. Temporary failures come back with backoff until
 * `retryForMs` has passed since the row was queued; a 550/551/553 is a hard bounce.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { ClaimQueue, type Outcome } from '../queue/claim-queue.ts';
import { QueueWorker } from '../queue/queue-worker.ts';
import type { DeliveryError } from '../queue/delivery-error.ts';
import type { CampaignTransport } from './transport.ts';
import { SendRateLimiter } from './rate-limit.ts';
import { liveDaemonCount } from '../db/database-probes.ts';
import { compileCampaign, renderCampaignMail, type CompiledCampaign } from './render.ts';
import { findCampaign, finishCampaigns, forRender, renderContext } from './campaigns.ts';
import { suppress } from './subscribers.ts';
import { stops, suppressionsOf } from '../suppression/suppression-list.ts';
import { recipientQueueStore, type RecipientRow } from './recipient-queue-store.ts';
import { ROW_KEY_PREFIX } from '../outbox/transports/agent-handover-store.ts';
import type { NewsletterDeps } from './deps.ts';

export { recipientCounts } from './recipient-queue-store.ts';

export interface CampaignSenderOptions {
  em: EntityManager;
  deps: NewsletterDeps;
  transport: CampaignTransport;
  /** Must equal the application_name of this process's database connections. */
  workerId: string;
  journalDir?: string;
  /**
   * The process's queue worker, shared with the outbox dispatcher (one SMTP agent, one journal);
   * its owner removes the journal. Without it the sender works alone under `workerId`.
   */
  worker?: QueueWorker;
  /** How long a claimer's session must be missing before its rows are taken back (default 0; the daemon: ABSENT_CLAIMER_GRACE_MS). */
  absentGraceMs?: number;
  log: Logger;
  metrics?: Metrics;
  batchSize?: number;
  concurrency?: number;
  pollIntervalMs?: number;
  /** Called when a campaign finishes (summary to Slack, say). */
  onFinished?: (campaignId: string) => Promise<void> | void;
}

/** How often the send-rate share is re-read (a joining or departing instance counts within this). */
const SHARE_REFRESH_MS = 5_000;

export class CampaignSender {
  /**
   * Each campaign's template, compiled once: the promise is kept, not its result, so the rows
   * of a batch that all start at once share one compilation (they each compiled their own,
   * hundreds per campaign, which cost more than all its sends' rendering).
   */
  private readonly compiled = new Map<string, Promise<CompiledCampaign>>();
  private readonly limiter: SendRateLimiter;
  /** When the number of live instances (this one's share of the send rate) was last read. */
  private shareReadAt = 0;
  private readonly queue: ClaimQueue<RecipientRow>;
  private readonly worker: QueueWorker;

  constructor(private readonly o: CampaignSenderOptions) {
    const c = o.deps.config;
    this.limiter = new SendRateLimiter({ globalPerSecond: c.ratePerSecond, perDomainPerSecond: c.perDomainPerSecond, perDomain: c.perDomain });
    this.worker = o.worker ?? new QueueWorker({ workerId: o.workerId, journalDir: o.journalDir, onIdle: () => o.transport.idle?.() });
    this.queue = new ClaimQueue<RecipientRow>({
      name: 'campaign sender',
      store: recipientQueueStore(o.em),
      worker: this.worker,
      log: o.log,
      batchSize: o.batchSize ?? c.batchSize,
      pollIntervalMs: o.pollIntervalMs ?? 500,
      claimTimeoutMs: c.claimTimeoutMs,
      journalPrefix: ROW_KEY_PREFIX.newsletter_recipient,
      absentGraceMs: o.absentGraceMs,
      backoff: { baseMs: c.backoffBaseMs, maxMs: c.backoffMaxMs },
      giveUp: (row) => Date.now() - new Date(row.created_at).getTime() > c.retryForMs,
      begin: (rows) => this.begin(rows),
      laneLimit: () => o.concurrency ?? 50,
      gaveUp: (row, err) => this.gaveUp(row, err),
      afterBatch: async (rows) => {
        for (const id of await finishCampaigns(o.em, [...new Set(rows.map((r) => r.campaign_id))])) await this.finished(id);
      },
      afterRecovery: async () => {
        for (const id of await finishCampaigns(o.em)) await this.finished(id);
      },
      recoveredMessage: 'campaign rows of a stopped sender taken back',
    });
  }

  start(): void {
    this.queue.start();
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.o.transport.close();
    if (!this.o.worker) this.worker.removeJournal();
  }

  wake(): void {
    this.queue.wake();
  }

  recoverOrphans(): Promise<number> {
    return this.queue.recoverOrphans();
  }

  /** Claims one batch of due rows of sending campaigns and sends it. */
  runOnce(): Promise<number> {
    return this.queue.runOnce();
  }

  /**
   * The configured rates are the installation's: every few seconds this instance reads how many
   * daemons share the database and takes its part of them. A failed read keeps the last share.
   */
  private async refreshShare(): Promise<void> {
    if (Date.now() - this.shareReadAt < SHARE_REFRESH_MS) return;
    this.shareReadAt = Date.now();
    try {
      this.limiter.setShare(await liveDaemonCount(this.o.em));
    } catch (err) {
      this.o.log.debug({ err: String(err) }, 'could not count the live instances; keeping the send-rate share');
    }
  }

  private async finished(id: string): Promise<void> {
    this.compiled.delete(id);
    this.o.log.info({ campaignId: id }, 'campaign sent');
    await this.o.onFinished?.(id);
  }

  private compiledFor(id: string): Promise<CompiledCampaign> {
    let c = this.compiled.get(id);
    if (!c) {
      c = findCampaign(this.o.em, id).then((row) => {
        if (!row) throw new Error(`campaign ${id} vanished`);
        return compileCampaign(forRender(row));
      });
      this.compiled.set(id, c);
      // A failed read is not kept: the next row tries again.
      c.catch(() => this.compiled.delete(id));
    }
    return c;
  }

  private async begin(rows: RecipientRow[]): Promise<(row: RecipientRow, journalKey: string) => Promise<Outcome>> {
    await this.refreshShare();
    const ctx = renderContext(this.o.deps);
    // The one suppression list, read now: an opt-out that arrived after the campaign started
    // (by link, by mail, by a complaint, by erasure) still stops the message, and the tracking.
    const listed = await suppressionsOf(this.o.em, this.o.deps.secret, rows.map((r) => r.email));
    return async (row, journalKey) => {
      const kinds = listed.get(row.email.trim().toLowerCase()) ?? [];
      if (kinds.some((k) => stops(k, 'marketing'))) return { skip: 'suppressed' };
      const untracked = row.dnt || kinds.some((k) => stops(k, 'tracking'));
      const wait = this.limiter.reserve(row.domain);
      if (wait > 1000) {
        this.limiter.refund(row.domain);
        return { defer: wait };
      }
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const cc = await this.compiledFor(row.campaign_id);
      const mail = renderCampaignMail(cc, { subscriberId: row.subscriber_id, email: row.email, name: row.name, dnt: untracked }, ctx);
      await this.o.transport.send(journalKey, mail);
      this.o.metrics?.newsletterSent.inc();
      return { sent: null };
    };
  }

  private async gaveUp(row: RecipientRow, err: DeliveryError): Promise<string> {
    const code = (err as { responseCode?: number }).responseCode ?? Number(/SMTP (\d{3})/.exec(err.message)?.[1] ?? 0);
    // A 550/551/553 names the mailbox: a hard bounce, and the address is suppressed.
    const hard = err.permanent && [550, 551, 553].includes(code);
    this.o.metrics?.newsletterFailed.inc({ reason: hard ? 'bounced' : 'failed' });
    if (hard) await suppress(this.o.em, this.o.deps.secret, row.email, 'hard-bounce', 'smtp');
    this.o.log.warn({ recipientId: row.id, campaignId: row.campaign_id, reason: err.message }, 'campaign recipient failed for good');
    return hard ? 'bounced' : 'failed';
  }
}
