/**
 * The tracking events' SQL (tracking.ts batches them): the addresses of a batch's subscribers,
 * and the one statement that stores a batch. That statement decides everything that must hold
 * at the moment of writing, in the snapshot it writes in: the suppression list and DO NOT TRACK
 * (no event of anyone they stop), machine opens and clicks (too soon after delivery), and
 * aggregate-only mode (neither who nor from where).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';
import { notSuppressedSql } from '../suppression/suppression-list.ts';

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

/** A subscriber's address as last read, with its two names on the suppression list. */
export interface KnownAddress {
  email: string;
  keyed: string;
  legacy: string;
}

export interface EventRules {
  aggregateOnly: boolean;
  machineOpenWindowSeconds: number;
  machineClickWindowSeconds: number;
}

/** The current address of each of these subscribers (missing ones are gone). */
export async function subscriberAddresses(em: EntityManager, ids: string[]): Promise<Map<string, string>> {
  const rows = await sqlOf(em)<{ id: string; email: string }>(`select id::text, email from newsletter_subscriber where id = any(?::bigint[])`, [`{${ids.join(',')}}`]);
  return new Map(rows.map((r) => [r.id, r.email]));
}

const INSERT_EVENTS = `
  with e as materialized (
    select e.*, sub.email as email_now, sub.dnt
      from unnest(?::bigint[], ?::bigint[], ?::text[], ?::int[], ?::text[], ?::text[], ?::timestamptz[], ?::text[], ?::text[], ?::text[])
           as e(c, s, k, l, reason, ip, at, email, keyed, legacy)
      join newsletter_subscriber sub on sub.id = e.s),
  ins as (
    insert into newsletter_event (campaign_id, subscriber_id, kind, link_index, machine, machine_reason, ip, at)
    select e.c, case when ?::boolean then null else e.s end, e.k, e.l, m.reason is not null, m.reason,
           case when ?::boolean then null else e.ip end, e.at
      from e
      left join newsletter_recipient r on r.campaign_id = e.c and r.subscriber_id = e.s
      cross join lateral (select coalesce(e.reason,
           case when e.k = 'open' and r.sent_at is not null and e.at - r.sent_at < make_interval(secs => ?) then 'prefetch'
                when e.k = 'click' and r.sent_at is not null and e.at - r.sent_at < make_interval(secs => ?) then 'click-too-soon' end) as reason) m
     where e.email_now = e.email and not e.dnt and ${notSuppressedSql('tracking', 'e.keyed', 'e.legacy')})
  select distinct e.s::text as id, e.email_now as email from e where e.email_now <> e.email`;

/**
 * Stores the events (one statement, committed when it returns) of subscribers whose address is
 * still the one given. Returns the subscribers whose address changed since it was read: their
 * events were not stored, and must be checked again under the new address.
 */
export async function insertEvents(em: EntityManager, events: { e: TrackingEvent; a: KnownAddress }[], rules: EventRules): Promise<Map<string, string>> {
  const agg = rules.aggregateOnly;
  const rows = await sqlOf(em)<{ id: string; email: string }>(
    INSERT_EVENTS,
    [
      `{${events.map(({ e }) => e.campaignId).join(',')}}`,
      `{${events.map(({ e }) => e.subscriberId).join(',')}}`,
      pgArray(events.map(({ e }) => e.kind)),
      `{${events.map(({ e }) => (e.linkIndex === null ? 'NULL' : e.linkIndex)).join(',')}}`,
      pgArray(events.map(({ e }) => e.reason)),
      pgArray(events.map(({ e }) => e.ip)),
      pgArray(events.map(({ e }) => e.at.toISOString())),
      pgArray(events.map(({ a }) => a.email)),
      `{${events.map(({ a }) => a.keyed).join(',')}}`,
      `{${events.map(({ a }) => a.legacy).join(',')}}`,
      agg,
      agg,
      rules.machineOpenWindowSeconds,
      rules.machineClickWindowSeconds,
    ],
    // Prepared once per connection: planning this statement costs more than running it.
    { name: 'newsletter-event-insert-v2' },
  );
  return new Map(rows.map((r) => [r.id, r.email]));
}
