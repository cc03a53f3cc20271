/**
 * The one suppression list. Every channel that markets or tracks consults it: the campaign
 * sender before each message, the tracking routes before each event, sign-up and import before
 * adding anyone. Every way out writes to it: unsubscribe (link, reply, new mail, CLI), objection
 * and DO NOT TRACK (privacy cases), spam complaints, bounces and erasure. Stopping mail to an
 * address discloses nothing, so none of these waits for identity verification.
 *
 * Rows hold a keyed hash of the address (HMAC-SHA256 with MAILROOM_SECRET, see
 * mail/address.ts), never the address: an erased address cannot be recovered by guessing.
 * Rows written before the keyed scheme ('sha256-legacy', a plain SHA-256 of
 * "mailroom-suppression:" + address) are still honoured, and re-keyed as soon as the address
 * is known (see migration 0014).
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { addressesOnFile, deleteSuppressions, insertKeyedSuppression, legacyHashes, legacyRowCount, notSuppressedCondition, rekeyLegacyRows, suppressionRows } from './suppression-store.ts';
import { addressHash } from '../mail/address.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';

export const SUPPRESSION_KINDS = ['objection', 'unsubscribe', 'do-not-track', 'complaint', 'hard-bounce', 'soft-bounces', 'erasure'] as const;
export type SuppressionKind = (typeof SUPPRESSION_KINDS)[number];

/** What each kind stops. DO NOT TRACK stops tracking only; a bounce stops mail only. */
const STOPS: Record<SuppressionKind, { marketing: boolean; tracking: boolean }> = {
  objection: { marketing: true, tracking: true },
  unsubscribe: { marketing: true, tracking: true },
  complaint: { marketing: true, tracking: true },
  erasure: { marketing: true, tracking: true },
  'do-not-track': { marketing: false, tracking: true },
  'hard-bounce': { marketing: true, tracking: false },
  'soft-bounces': { marketing: true, tracking: false },
};

export type SuppressionScope = 'marketing' | 'tracking';

export function stops(kind: SuppressionKind, scope: SuppressionScope): boolean {
  return STOPS[kind][scope];
}

/** Opt-outs a person lifts by opting in again themselves (a confirmed sign-up); DO NOT TRACK is a separate choice. */
export const MARKETING_KINDS: SuppressionKind[] = SUPPRESSION_KINDS.filter((k) => STOPS[k].marketing);

/** The hash written before issue 17 (unkeyed, so guessable): only ever looked up, never written. */
export function legacyHash(address: string): string {
  return createHash('sha256').update(`mailroom-suppression:${address.trim().toLowerCase()}`).digest('hex');
}

function hashes(address: string, secret: string) {
  return { keyed: addressHash(address, secret), legacy: legacyHash(address) };
}

/** An address's two names on the list (keyed, and the legacy unkeyed one), for `notSuppressedSql`. */
export function suppressionHashes(address: string, secret: string): { keyed: string; legacy: string } {
  return hashes(normaliseAddress(address), secret);
}

/**
 * A SQL condition, true when no kind that stops `scope` lists the address whose hashes (from
 * `suppressionHashes`) are in the columns `keyed` and `legacy` (fixed identifiers from the code).
 * For a statement that must decide in the same snapshot as it writes: a tracking event is then
 * never stored after the opt-out that stops it committed, with no look-up of its own.
 */
export function notSuppressedSql(scope: SuppressionScope, keyed: string, legacy: string): string {
  return notSuppressedCondition(SUPPRESSION_KINDS.filter((k) => stops(k, scope)), keyed, legacy);
}

/** Adds the address to the list for `kind` (idempotent), re-keying any legacy row of it first. */
export async function suppressAddress(
  em: EntityManager,
  secret: string,
  address: string,
  kind: SuppressionKind,
  opts: { source?: string; caseId?: string | null } = {},
): Promise<void> {
  if (!normaliseAddress(address)) return;
  await rekeyAddresses(em, secret, [address]);
  await insertKeyedSuppression(em, { addressHash: addressHash(address, secret), kind, source: opts.source ?? null, caseId: opts.caseId ?? null });
}

/** Removes the given kinds for the address (a confirmed opt-in, a DO NOT TRACK switched off), under either scheme. */
export async function liftSuppression(em: EntityManager, secret: string, address: string, kinds: readonly SuppressionKind[]): Promise<number> {
  return deleteSuppressions(em, hashes(address, secret), kinds);
}

/** Every kind each address is suppressed for, by normalised address (one query for a batch). */
export async function suppressionsOf(em: EntityManager, secret: string, addresses: readonly string[]): Promise<Map<string, SuppressionKind[]>> {
  const out = new Map<string, SuppressionKind[]>();
  const byHash = new Map<string, string>();
  for (const a of addresses) {
    const n = normaliseAddress(a);
    if (!n || out.has(n)) continue;
    out.set(n, []);
    const h = hashes(n, secret);
    byHash.set(`k:${h.keyed}`, n);
    byHash.set(`l:${h.legacy}`, n);
  }
  if (byHash.size === 0) return out;
  const rows = await suppressionRows<SuppressionKind>(em, [...byHash.keys()].map((k) => k.slice(2)));
  for (const r of rows) {
    const n = byHash.get(`${r.scheme === 'sha256-legacy' ? 'l' : 'k'}:${r.address_hash}`);
    if (n && !out.get(n)!.includes(r.kind)) out.get(n)!.push(r.kind);
  }
  return out;
}

/** The first kind that stops `scope` for the address, or null when nothing does. */
export async function suppressedFor(em: EntityManager, secret: string, address: string, scope: SuppressionScope): Promise<SuppressionKind | null> {
  const kinds = (await suppressionsOf(em, secret, [address])).get(normaliseAddress(address)) ?? [];
  return kinds.find((k) => stops(k, scope)) ?? null;
}

/** Legacy rows of these addresses get their keyed hash (merged with any keyed row of the same kind). */
export async function rekeyAddresses(em: EntityManager, secret: string, addresses: readonly string[]): Promise<number> {
  const pairs = [...new Set(addresses.map((a) => normaliseAddress(a)).filter(Boolean))].map((a) => hashes(a, secret));
  if (pairs.length === 0) return 0;
  return rekeyLegacyRows(
    em,
    pairs.map((p) => p.legacy),
    pairs.map((p) => p.keyed),
  );
}

/**
 * At start-up: re-keys every legacy row whose address is on file somewhere (subscribers,
 * contacts, privacy cases — an erasure's case keeps the address it answered). What is left
 * belongs to addresses Mailroom no longer knows; they are re-keyed when seen again.
 */
export async function rekeyLegacySuppression(em: EntityManager, secret: string): Promise<{ rekeyed: number; left: number }> {
  const n = await legacyRowCount(em);
  if (n === 0) return { rekeyed: 0, left: 0 };
  const known = await addressesOnFile(em);
  const legacy = new Set(await legacyHashes(em));
  const seen = known.filter((a) => legacy.has(legacyHash(normaliseAddress(a))));
  let rekeyed = 0;
  for (let i = 0; i < seen.length; i += 1000) rekeyed += await rekeyAddresses(em, secret, seen.slice(i, i + 1000));
  return { rekeyed, left: n - rekeyed };
}
