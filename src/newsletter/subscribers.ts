/**
 * Lists, subscribers, consent and suppression. Every change writes a consent-log line in the
 * same transaction; every mail goes through the outbox in that transaction too.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueEmail, newMessageId } from '../outbox/enqueue-store.ts';
import { confirmToken, signToken } from './tokens.ts';
import { normaliseEmail, type Lang, type NewsletterDeps } from './deps.ts';
import { liftSuppression, MARKETING_KINDS, stops, suppressAddress, suppressedFor, suppressionsOf, type SuppressionKind } from '../suppression/suppression-list.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { formatMailbox, isEmailAddress } from '../mail/address.ts';
import {
  clearSubscriberOptOut,
  clearSubscriberSuppression,
  confirmFromPreferences,
  confirmSubscriptions,
  importSubscription,
  insertConsentLog,
  insertListIfMissing,
  listRows,
  listRowsByRef,
  seedConfirmedSubscribers,
  setSubscriberPreferences,
  setSuppressedReason,
  subscriberByEmail,
  subscriberById,
  subscriptionRows,
  unsubscribeFromAllLists,
  unsubscribeFromList,
  upsertPendingSubscription,
  upsertSubscriberRow,
  type ListRow,
  type SubscriberRow,
} from './subscriber-store.ts';
import { cancelQueuedRecipientsOf, insertUnsubscribeEvent } from './campaign-store.ts';

export type { ListRow, SubscriberRow } from './subscriber-store.ts';

export async function ensureLists(em: EntityManager, lists: { slug: string; nb: string; en: string; public?: boolean }[]): Promise<void> {
  for (const l of lists) {
    await insertListIfMissing(em, { slug: l.slug, nb: l.nb, en: l.en, public: l.public ?? true });
  }
}

export async function allLists(em: EntityManager, opts: { publicOnly?: boolean } = {}): Promise<ListRow[]> {
  return listRows(em, !!opts.publicOnly);
}

export async function listsBySlugOrId(em: EntityManager, refs: string[]): Promise<ListRow[]> {
  if (refs.length === 0) return [];
  return listRowsByRef(em, refs);
}

export async function findSubscriber(em: EntityManager, ref: { id?: string; email?: string }): Promise<SubscriberRow | null> {
  const row = ref.id ? await subscriberById(em, ref.id) : await subscriberByEmail(em, normaliseEmail(ref.email ?? ''));
  return row ?? null;
}

export async function subscriptionsOf(em: EntityManager, subscriberId: string): Promise<{ list_id: string; status: string }[]> {
  return subscriptionRows(em, subscriberId);
}

async function log(em: EntityManager, subscriberId: string | null, listId: string | null, action: string, source: string, ip: string | null): Promise<void> {
  await insertConsentLog(em, subscriberId, listId, action, source, ip);
}

/** Why the address gets no newsletter (the one suppression list), or null. */
export async function isSuppressed(em: EntityManager, secret: string, email: string): Promise<SuppressionKind | null> {
  return suppressedFor(em, secret, email, 'marketing');
}

/**
 * Puts the address on the one suppression list; `suppressed_reason` on the subscriber is a
 * copy for lists and the audience count, not what the sender decides by.
 */
export async function suppress(em: EntityManager, secret: string, email: string, reason: SuppressionKind, source?: string): Promise<void> {
  await suppressAddress(em, secret, email, reason, { source: source ?? 'newsletter' });
  if (reason === 'do-not-track') return;
  await setSuppressedReason(em, normaliseEmail(email), reason);
}

/** `dnt`: the address asked not to be tracked (the list says so), before or after it subscribed. */
async function upsertSubscriber(em: EntityManager, email: string, name: string | null, language: Lang, dnt: boolean): Promise<SubscriberRow> {
  return upsertSubscriberRow(em, normaliseEmail(email), name || null, language, dnt);
}

export function publicLinks(deps: NewsletterDeps, subscriberId: string, lang: Lang) {
  return {
    unsubscribeUrl: `${deps.publicUrl}/newsletter/unsubscribe?t=${signToken(deps.secret, 'u', [subscriberId])}&lang=${lang}`,
    preferencesUrl: `${deps.publicUrl}/newsletter/preferences?t=${signToken(deps.secret, 'p', [subscriberId])}&lang=${lang}`,
  };
}

/**
 * A sign-up (form or CLI): the subscriptions wait as 'pending' until the person confirms from
 * the email. A suppressed address may sign up again, but only the confirmation lifts it.
 */
export async function signUp(
  em: EntityManager,
  deps: NewsletterDeps,
  input: { email: string; name?: string | null; language: Lang; listIds: string[]; source: string; ip: string | null },
): Promise<{ subscriberId: string; alreadyConfirmed: boolean } | { error: 'invalid-email' | 'no-lists' }> {
  if (!isEmailAddress(input.email.trim(), { dottedDomain: true })) return { error: 'invalid-email' };
  if (input.listIds.length === 0) return { error: 'no-lists' };
  const kinds = (await suppressionsOf(em, deps.secret, [input.email])).get(normaliseAddress(input.email)) ?? [];
  const sub = await upsertSubscriber(em, input.email, input.name ?? null, input.language, kinds.includes('do-not-track'));
  const existing = new Map((await subscriptionsOf(em, sub.id)).map((s) => [s.list_id, s.status]));
  const suppressed = kinds.some((k) => stops(k, 'marketing'));
  const toConfirm = input.listIds.filter((l) => suppressed || existing.get(l) !== 'confirmed');
  for (const listId of toConfirm) {
    await upsertPendingSubscription(em, { subscriberId: sub.id, listId, source: input.source, ip: input.ip, suppressed: !!suppressed });
    await log(em, sub.id, listId, 'signup', input.source, input.ip);
  }
  if (toConfirm.length === 0) return { subscriberId: sub.id, alreadyConfirmed: true };
  const now = deps.now?.() ?? new Date();
  const token = confirmToken(deps.secret, sub.id, toConfirm, new Date(now.getTime() + deps.config.confirmationValidHours * 3600_000));
  const lang = input.language;
  const mail = deps.templates.render('newsletter-confirm', lang, {
    orgName: deps.orgName,
    name: sub.name,
    confirmUrl: `${deps.publicUrl}/newsletter/confirm?t=${token}&lang=${lang}`,
    hours: deps.config.confirmationValidHours,
  });
  await enqueueEmail(em, { from: formatMailbox({ name: deps.fromName, address: deps.mailFrom }), ...(deps.replyTo ? { replyTo: deps.replyTo } : {}), to: [sub.email], subject: mail.subject, text: mail.text, html: mail.html, messageId: newMessageId(deps.messageIdDomain), headers: { 'Auto-Submitted': 'auto-generated' } });
  return { subscriberId: sub.id, alreadyConfirmed: false };
}

/** The double opt-in: pending subscriptions named in the token become confirmed; suppression is lifted. */
export async function confirmSubscription(em: EntityManager, secret: string, subscriberId: string, listIds: string[], ip: string | null): Promise<boolean> {
  const sub = await findSubscriber(em, { id: subscriberId });
  if (!sub) return false;
  const rows = await confirmSubscriptions(em, subscriberId, listIds);
  if (rows.length === 0) return false;
  // A confirmed opt-in is new consent: it lifts every earlier opt-out (not DO NOT TRACK, a choice of its own).
  await liftSuppression(em, secret, sub.email, MARKETING_KINDS);
  await clearSubscriberSuppression(em, subscriberId);
  for (const r of rows) await log(em, subscriberId, String(r.list_id), 'confirm', 'email-link', ip);
  return true;
}

/**
 * Unsubscribes from every list (one-click, reply, new mail, CLI, privacy request, complaint) and
 * suppresses the address for `reason`. Idempotent.
 */
export async function unsubscribeAll(
  em: EntityManager,
  secret: string,
  subscriberId: string,
  source: string,
  ip: string | null,
  campaignId?: string,
  reason: SuppressionKind = 'unsubscribe',
): Promise<boolean> {
  const sub = await findSubscriber(em, { id: subscriberId });
  if (!sub) return false;
  const changed = await unsubscribeFromAllLists(em, subscriberId);
  await suppress(em, secret, sub.email, reason, source);
  await log(em, subscriberId, null, 'unsubscribe', source, ip);
  // Stop anything still queued for this person.
  await cancelQueuedRecipientsOf(em, subscriberId);
  if (campaignId && changed.length > 0) await insertUnsubscribeEvent(em, campaignId, subscriberId);
  return true;
}

/** The preferences page: exactly these lists (confirmed, since the person is here by their own link), DNT and language. */
export async function savePreferences(
  em: EntityManager,
  secret: string,
  subscriberId: string,
  input: { listIds: string[]; dnt: boolean; language: Lang; name?: string | null },
  ip: string | null,
): Promise<void> {
  const sub = await findSubscriber(em, { id: subscriberId });
  if (!sub) return;
  const before = new Map((await subscriptionsOf(em, subscriberId)).map((s) => [s.list_id, s.status]));
  for (const listId of input.listIds) {
    if (before.get(listId) === 'confirmed') continue;
    await confirmFromPreferences(em, subscriberId, listId, ip);
    await log(em, subscriberId, listId, 'subscribe', 'preferences', ip);
  }
  for (const [listId, status] of before) {
    if (status !== 'unsubscribed' && !input.listIds.includes(listId)) {
      await unsubscribeFromList(em, subscriberId, listId);
      await log(em, subscriberId, listId, 'unsubscribe', 'preferences', ip);
    }
  }
  if (input.listIds.length > 0) {
    // Choosing lists on one's own preferences page (reached through one's own signed link) is a
    // confirmed opt-in: it lifts the person's own opt-outs, not a bounce.
    await liftSuppression(em, secret, sub.email, ['unsubscribe', 'objection', 'complaint']);
    if (sub.suppressed_reason && ['unsubscribe', 'objection', 'complaint'].includes(sub.suppressed_reason)) {
      await clearSubscriberOptOut(em, subscriberId);
    }
  }
  // The checkbox and DO NOT TRACK by email are one choice: both live on the list.
  if (input.dnt) await suppressAddress(em, secret, sub.email, 'do-not-track', { source: 'preferences' });
  else if (sub.dnt) await liftSuppression(em, secret, sub.email, ['do-not-track']);
  if (input.dnt !== sub.dnt) await log(em, subscriberId, null, input.dnt ? 'dnt-on' : 'dnt-off', 'preferences', ip);
  await setSubscriberPreferences(em, subscriberId, { dnt: input.dnt, language: input.language, name: input.name ?? null });
}

/**
 * CSV import (email[,name[,language]]): confirmed subscriptions with source 'import', for people
 * who consented elsewhere. Suppressed addresses are skipped, never re-added.
 */
export async function importSubscribers(
  em: EntityManager,
  secret: string,
  rows: { email: string; name?: string | null; language?: string | null }[],
  listIds: string[],
  source: string,
): Promise<{ added: number; skippedSuppressed: number; invalid: number; unchanged: number }> {
  const out = { added: 0, skippedSuppressed: 0, invalid: 0, unchanged: 0 };
  for (const r of rows) {
    if (!r.email || !isEmailAddress(r.email.trim(), { dottedDomain: true })) {
      out.invalid++;
      continue;
    }
    const kinds = (await suppressionsOf(em, secret, [r.email])).get(normaliseAddress(r.email)) ?? [];
    if (kinds.some((k) => stops(k, 'marketing'))) {
      out.skippedSuppressed++;
      continue;
    }
    const sub = await upsertSubscriber(em, r.email, r.name ?? null, r.language === 'en' ? 'en' : 'nb', kinds.includes('do-not-track'));
    let any = false;
    for (const listId of listIds) {
      if (await importSubscription(em, sub.id, listId, source)) {
        any = true;
        await log(em, sub.id, listId, 'import', source, null);
      }
    }
    if (any) out.added++;
    else out.unchanged++;
  }
  return out;
}

/**
 * Fast bulk seeding for tests and benches: `count` confirmed subscribers on one list.
 * Not used by the product paths (they go through signUp/importSubscribers).
 */
export async function seedSubscribers(em: EntityManager, listId: string, count: number, emailOf: (i: number) => string): Promise<void> {
  const emails = Array.from({ length: count }, (_, i) => normaliseEmail(emailOf(i)));
  await seedConfirmedSubscribers(em, listId, emails);
}
