/**
 * Named queries over lists, subscribers, their subscriptions and the consent log
 * (`newsletter_list`, `_subscriber`, `_subscription`, `_consent_log`), for subscribers.ts,
 * bounces.ts and privacy-effects.ts. Raw SQL: most writes are upserts whose conflict rule is the
 * consent logic itself (`on conflict … do update set status = case …`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';
import type { Lang } from './deps.ts';

export interface ListRow {
  id: string;
  slug: string;
  name_nb: string;
  name_en: string;
  public: boolean;
}

export interface SubscriberRow {
  id: string;
  email: string;
  name: string | null;
  language: Lang;
  dnt: boolean;
  soft_bounces: number;
  suppressed_reason: string | null;
}

const SUBSCRIBER_COLS = `id::text, email, name, language, dnt, soft_bounces, suppressed_reason`;

/** A list with this slug, unless there is one already. */
export async function insertListIfMissing(em: EntityManager, l: { slug: string; nb: string; en: string; public: boolean }): Promise<void> {
  await sqlOf(em)(`insert into newsletter_list (slug, name_nb, name_en, public) values (?, ?, ?, ?) on conflict (slug) do nothing`, [l.slug, l.nb, l.en, l.public]);
}

export async function listRows(em: EntityManager, publicOnly: boolean): Promise<ListRow[]> {
  return sqlOf(em)<ListRow>(`select id::text, slug, name_nb, name_en, public from newsletter_list where (? = false or public) order by id`, [publicOnly]);
}

/** Lists whose slug or id is among `refs`. */
export async function listRowsByRef(em: EntityManager, refs: string[]): Promise<ListRow[]> {
  return sqlOf(em)<ListRow>(`select id::text, slug, name_nb, name_en, public from newsletter_list where slug = any(?::text[]) or id::text = any(?::text[]) order by id`, [pgArray(refs), pgArray(refs)]);
}

export async function subscriberById(em: EntityManager, id: string): Promise<SubscriberRow | undefined> {
  const [row] = await sqlOf(em)<SubscriberRow>(`select ${SUBSCRIBER_COLS} from newsletter_subscriber where id = ?`, [id]);
  return row;
}

/** By normalised address. */
export async function subscriberByEmail(em: EntityManager, email: string): Promise<SubscriberRow | undefined> {
  const [row] = await sqlOf(em)<SubscriberRow>(`select ${SUBSCRIBER_COLS} from newsletter_subscriber where email = ?`, [email]);
  return row;
}

/** The subscriber with this (normalised) address, locked for the transaction, with its soft-bounce count. */
export async function lockSubscriberByEmail(em: EntityManager, email: string): Promise<{ id: string; soft_bounces: number } | undefined> {
  const [row] = await sqlOf(em)<{ id: string; soft_bounces: number }>(`select id::text, soft_bounces from newsletter_subscriber where email = ? for update`, [email]);
  return row;
}

export async function subscriptionRows(em: EntityManager, subscriberId: string): Promise<{ list_id: string; status: string }[]> {
  return sqlOf(em)(`select list_id::text, status from newsletter_subscription where subscriber_id = ?`, [subscriberId]);
}

/** One line of the consent log. */
export async function insertConsentLog(em: EntityManager, subscriberId: string | null, listId: string | null, action: string, source: string, ip: string | null): Promise<void> {
  await sqlOf(em)(`insert into newsletter_consent_log (subscriber_id, list_id, action, source, ip) values (?, ?, ?, ?, ?)`, [subscriberId, listId, action, source, ip]);
}

/** The subscriber's copy of why the address is suppressed (by normalised address). */
export async function setSuppressedReason(em: EntityManager, email: string, reason: string): Promise<void> {
  await sqlOf(em)(`update newsletter_subscriber set suppressed_reason = ?, suppressed_at = now(), updated_at = now() where email = ?`, [reason, email]);
}

/** The subscriber with this (normalised) address, made or updated: a name given wins, DNT once on stays on. */
export async function upsertSubscriberRow(em: EntityManager, email: string, name: string | null, language: Lang, dnt: boolean): Promise<SubscriberRow> {
  const [row] = await sqlOf(em)<SubscriberRow>(
    `insert into newsletter_subscriber (email, name, language, dnt) values (?, ?, ?, ?)
     on conflict (email) do update set name = coalesce(excluded.name, newsletter_subscriber.name), dnt = newsletter_subscriber.dnt or excluded.dnt, updated_at = now()
     returning ${SUBSCRIBER_COLS}`,
    [email, name, language, dnt],
  );
  return row!;
}

/** A sign-up's subscription waits for confirmation; a confirmed one stays confirmed unless the address is suppressed. */
export async function upsertPendingSubscription(em: EntityManager, s: { subscriberId: string; listId: string; source: string; ip: string | null; suppressed: boolean }): Promise<void> {
  await sqlOf(em)(
    `insert into newsletter_subscription (subscriber_id, list_id, status, consent_at, consent_source, consent_ip)
     values (?, ?, 'pending', now(), ?, ?)
     on conflict (subscriber_id, list_id) do update set status = case when newsletter_subscription.status = 'confirmed' and ? = false then 'confirmed' else 'pending' end,
       consent_at = now(), consent_source = excluded.consent_source, consent_ip = excluded.consent_ip`,
    [s.subscriberId, s.listId, s.source, s.ip, s.suppressed],
  );
}

/** Confirms the subscriber's pending (or confirmed) subscriptions to these lists; the list ids confirmed. */
export async function confirmSubscriptions(em: EntityManager, subscriberId: string, listIds: string[]): Promise<{ list_id: string }[]> {
  return sqlOf(em)<{ list_id: string }>(
    `update newsletter_subscription set status = 'confirmed', confirmed_at = now()
      where subscriber_id = ? and list_id = any(?::bigint[]) and status in ('pending', 'confirmed') returning list_id`,
    [subscriberId, `{${listIds.join(',')}}`],
  );
}

/** A confirmed opt-in: no suppression copy, no soft bounces. */
export async function clearSubscriberSuppression(em: EntityManager, subscriberId: string): Promise<void> {
  await sqlOf(em)(`update newsletter_subscriber set suppressed_reason = null, suppressed_at = null, soft_bounces = 0, updated_at = now() where id = ?`, [subscriberId]);
}

/** The subscriber's own opt-out lifted (bounces stay counted). */
export async function clearSubscriberOptOut(em: EntityManager, subscriberId: string): Promise<void> {
  await sqlOf(em)(`update newsletter_subscriber set suppressed_reason = null, suppressed_at = null where id = ?`, [subscriberId]);
}

/** Unsubscribes from every list not unsubscribed yet; the lists that changed. */
export async function unsubscribeFromAllLists(em: EntityManager, subscriberId: string): Promise<{ list_id: string }[]> {
  return sqlOf(em)<{ list_id: string }>(`update newsletter_subscription set status = 'unsubscribed', unsubscribed_at = now() where subscriber_id = ? and status <> 'unsubscribed' returning list_id`, [
    subscriberId,
  ]);
}

export async function unsubscribeFromList(em: EntityManager, subscriberId: string, listId: string): Promise<void> {
  await sqlOf(em)(`update newsletter_subscription set status = 'unsubscribed', unsubscribed_at = now() where subscriber_id = ? and list_id = ?`, [subscriberId, listId]);
}

/** Confirmed from the preferences page (the person's own signed link). */
export async function confirmFromPreferences(em: EntityManager, subscriberId: string, listId: string, ip: string | null): Promise<void> {
  await sqlOf(em)(
    `insert into newsletter_subscription (subscriber_id, list_id, status, consent_at, consent_source, consent_ip, confirmed_at)
     values (?, ?, 'confirmed', now(), 'preferences', ?, now())
     on conflict (subscriber_id, list_id) do update set status = 'confirmed', consent_at = now(), consent_source = 'preferences', consent_ip = excluded.consent_ip, confirmed_at = now()`,
    [subscriberId, listId, ip],
  );
}

export async function setSubscriberPreferences(em: EntityManager, subscriberId: string, p: { dnt: boolean; language: Lang; name: string | null }): Promise<void> {
  await sqlOf(em)(`update newsletter_subscriber set dnt = ?, language = ?, name = coalesce(?, name), updated_at = now() where id = ?`, [p.dnt, p.language, p.name, subscriberId]);
}

/** An import's confirmed subscription (a pending one is confirmed; others are left alone); whether anything changed. */
export async function importSubscription(em: EntityManager, subscriberId: string, listId: string, source: string): Promise<boolean> {
  const res = await sqlOf(em)(
    `insert into newsletter_subscription (subscriber_id, list_id, status, consent_at, consent_source, confirmed_at)
     values (?, ?, 'confirmed', now(), ?, now())
     on conflict (subscriber_id, list_id) do update set status = 'confirmed', confirmed_at = now(), consent_source = excluded.consent_source
       where newsletter_subscription.status = 'pending'
     returning 1`,
    [subscriberId, listId, source],
  );
  return res.length > 0;
}

export async function setSoftBounces(em: EntityManager, subscriberId: string, n: number): Promise<void> {
  await sqlOf(em)(`update newsletter_subscriber set soft_bounces = ?, updated_at = now() where id = ?`, [n, subscriberId]);
}

/** DO NOT TRACK on for the (normalised) address; the subscribers it changed. */
export async function setDntOn(em: EntityManager, email: string): Promise<{ id: string }[]> {
  return sqlOf(em)<{ id: string }>(`update newsletter_subscriber set dnt = true, updated_at = now() where email = ? and not dnt returning id::text`, [email]);
}

/** Bulk seeding (tests, benches): the addresses as confirmed subscribers of one list, in two statements. */
export async function seedConfirmedSubscribers(em: EntityManager, listId: string, emails: string[]): Promise<void> {
  await sqlOf(em)(`insert into newsletter_subscriber (email, name) select e, 'Person ' || n from unnest(?::text[]) with ordinality as t(e, n) on conflict do nothing`, [pgArray(emails)]);
  await sqlOf(em)(
    `insert into newsletter_subscription (subscriber_id, list_id, status, consent_at, consent_source, confirmed_at)
     select id, ?, 'confirmed', now(), 'seed', now() from newsletter_subscriber where email = any(?::text[]) on conflict do nothing`,
    [listId, pgArray(emails)],
  );
}
