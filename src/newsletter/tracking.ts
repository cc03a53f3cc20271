/**
 * Tracking events, stored durably before the answer goes out. Requests arriving together share
 * one INSERT (group commit): a pixel costs a share of one round trip, not one of its own.
 * Events of addresses on the suppression list for tracking are dropped first; the statement itself
 * drops events of DO NOT TRACK (or erased) subscribers, marks opens and
 * clicks that came too soon after delivery as machine events, and in aggregate-only mode keeps
 * neither who nor from where.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';
import type { NewsletterConfig } from './config-schema.ts';
import { stops, suppressionsOf } from '../suppression/suppression-list.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';

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
    /** Key of the suppression list's hashes. */
    private readonly secret: string,
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

  /**
   * Events of people on the suppression list for tracking (DO NOT TRACK by mail, objection,
   * unsubscribe, complaint, erasure) are dropped: one look-up for the whole batch.
   */
  private async tracked(events: TrackingEvent[]): Promise<TrackingEvent[]> {
    const ids = [...new Set(events.map((e) => e.subscriberId))];
    const subs = await sqlOf(this.em)<{ id: string; email: string }>(`select id::text, email from newsletter_subscriber where id = any(?::bigint[])`, [`{${ids.join(',')}}`]);
    const listed = await suppressionsOf(this.em, this.secret, subs.map((s) => s.email));
    const stopped = new Set(subs.filter((s) => (listed.get(normaliseAddress(s.email)) ?? []).some((k) => stops(k, 'tracking'))).map((s) => s.id));
    return stopped.size ? events.filter((e) => !stopped.has(e.subscriberId)) : events;
  }

  private async insert(all: TrackingEvent[]): Promise<void> {
    const events = await this.tracked(all);
    if (events.length === 0) return;
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
