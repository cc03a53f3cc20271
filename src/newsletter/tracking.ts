/**
 * Tracking events, stored durably before the answer goes out. Requests arriving together share
 * one INSERT (group commit): a pixel costs a share of one round trip, not one of its own.
 * The statement itself drops events of DO NOT TRACK (or erased) subscribers, marks opens and
 * clicks that came too soon after delivery as machine events, and in aggregate-only mode keeps
 * neither who nor from where.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';
import type { NewsletterConfig } from './config-schema.ts';

export interface TrackingEvent {
  campaignId: string;
  subscriberId: string;
  kind: 'open' | 'click' | 'view';
  linkIndex: number | null;
  /** Machine reason decided from the request alone (user agent, network, method), or null. */
  reason: string | null;
  /** Already truncated. */
  ip: string | null;
  at: Date;
}

export class EventWriter {
  private queue: { e: TrackingEvent; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly config: Pick<NewsletterConfig, 'aggregateOnly' | 'machineOpenWindowSeconds' | 'machineClickWindowSeconds'>,
  ) {}

  /** Up to this many INSERTs in flight: PostgreSQL groups their commits (fsyncs) itself. */
  private inflight = 0;
  private static readonly MAX_INFLIGHT = 2;

  add(e: TrackingEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ e, resolve, reject });
      if (this.inflight < EventWriter.MAX_INFLIGHT) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inflight++;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, 1000);
        try {
          await this.insert(batch.map((b) => b.e));
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.inflight--;
    }
  }

  private async insert(events: TrackingEvent[]): Promise<void> {
    const agg = this.config.aggregateOnly;
    await sqlOf(this.em)(
      `insert into newsletter_event (campaign_id, subscriber_id, kind, link_index, machine, machine_reason, ip, at)
       select e.c, case when ?::boolean then null else e.s end, e.k, e.l, m.reason is not null, m.reason,
              case when ?::boolean then null else e.ip end, e.at
         from unnest(?::bigint[], ?::bigint[], ?::text[], ?::int[], ?::text[], ?::text[], ?::timestamptz[]) as e(c, s, k, l, reason, ip, at)
         join newsletter_subscriber sub on sub.id = e.s and not sub.dnt
         left join newsletter_recipient r on r.campaign_id = e.c and r.subscriber_id = e.s
         cross join lateral (select coalesce(e.reason,
              case when e.k = 'open' and r.sent_at is not null and e.at - r.sent_at < make_interval(secs => ?) then 'prefetch'
                   when e.k = 'click' and r.sent_at is not null and e.at - r.sent_at < make_interval(secs => ?) then 'click-too-soon' end) as reason) m`,
      [
        agg,
        agg,
        `{${events.map((e) => e.campaignId).join(',')}}`,
        `{${events.map((e) => e.subscriberId).join(',')}}`,
        pgArray(events.map((e) => e.kind)),
        `{${events.map((e) => (e.linkIndex === null ? 'NULL' : e.linkIndex)).join(',')}}`,
        `{${events.map((e) => (e.reason === null ? 'NULL' : `"${e.reason}"`)).join(',')}}`,
        `{${events.map((e) => (e.ip === null ? 'NULL' : `"${e.ip}"`)).join(',')}}`,
        pgArray(events.map((e) => e.at.toISOString())),
        this.config.machineOpenWindowSeconds,
        this.config.machineClickWindowSeconds,
      ],
      // Prepared once per connection: planning this statement cost more than running it.
      { name: 'newsletter-event-insert' },
    );
  }
}

/** A 43-byte transparent GIF. */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
