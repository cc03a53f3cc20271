/**
 * Named queries over the newsletter's tables for the people who read them (the CLI listings):
 * the transport layers call these instead of holding SQL text themselves.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

/** A subscriber with every list they are on, as `slug:status` joined by commas. */
export interface SubscriberOverviewRow {
  id: string;
  email: string;
  name: string | null;
  language: string;
  dnt: boolean;
  suppressed_reason: string | null;
  lists: string;
}

/** Subscribers, newest first; with `list`, only those with any subscription to that list slug. */
export async function subscriberOverview(em: EntityManager, o: { list?: string; limit: number }): Promise<SubscriberOverviewRow[]> {
  return sqlOf(em)<SubscriberOverviewRow>(
    `select s.id::text, s.email, s.name, s.language, s.dnt, s.suppressed_reason,
            coalesce(string_agg(l.slug || ':' || x.status, ',' order by l.slug), '') as lists
       from newsletter_subscriber s left join newsletter_subscription x on x.subscriber_id = s.id left join newsletter_list l on l.id = x.list_id
      where (?::text is null or exists (select 1 from newsletter_subscription y join newsletter_list z on z.id = y.list_id where y.subscriber_id = s.id and z.slug = ?))
      group by s.id order by s.id desc limit ?`,
    [o.list ?? null, o.list ?? null, o.limit],
  );
}

/** Confirmed subscriptions per list id (lists without any are absent). */
export async function confirmedCountsByList(em: EntityManager): Promise<Map<string, number>> {
  const rows = await sqlOf(em)<{ list_id: string; n: string }>(`select list_id::text, count(*) as n from newsletter_subscription where status = 'confirmed' group by list_id`);
  return new Map(rows.map((r) => [r.list_id, Number(r.n)]));
}
