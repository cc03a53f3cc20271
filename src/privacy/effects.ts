/**
 * Objection to marketing, unsubscribe and DO NOT TRACK take effect at once, without approval
 * (GDPR art. 21(2)-(3), 7(3)). Mailroom records a hashed suppression entry (so the address is
 * not added again) and tells every registered `PrivacyEffects` implementation: the newsletter
 * concern implements it over its own tables (src/newsletter/**), without this folder knowing them.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { addressHash } from './tokens.ts';

export type ImmediateRight = 'objection' | 'unsubscribe' | 'do-not-track';

export interface EffectContext {
  /** The address on file (normalised). */
  email: string;
  caseRef: string;
  now: Date;
}

/** What another concern does when a person opts out or is erased. All run in the caller's transaction. */
export interface PrivacyEffects {
  /** A name for the audit log, e.g. 'newsletter'. */
  name: string;
  /** Stop marketing to the address (objection): unsubscribe from every marketing list. */
  objection?(em: EntityManager, ctx: EffectContext): Promise<{ changed: number }>;
  unsubscribe?(em: EntityManager, ctx: EffectContext): Promise<{ changed: number }>;
  /** No pixel, no link rewriting, no tracking events for the address from now on. */
  doNotTrack?(em: EntityManager, ctx: EffectContext): Promise<{ changed: number }>;
  /** Called during an approved erasure, after the coverage-registry statements ran. */
  erase?(em: EntityManager, ctx: EffectContext): Promise<{ changed: number }>;
  /** Art. 19: a rectification to pass on (e.g. to the newsletter vendor). */
  rectify?(em: EntityManager, ctx: EffectContext & { field: string; value: string }): Promise<{ changed: number }>;
}

/** Registry the newsletter (and other) concerns add their implementation to at start-up. */
export const privacyEffects: PrivacyEffects[] = [];
export function registerPrivacyEffects(e: PrivacyEffects): void {
  if (!privacyEffects.some((x) => x.name === e.name)) privacyEffects.push(e);
}

export async function suppress(em: EntityManager, email: string, kind: ImmediateRight | 'erasure', secret: string, caseId: string | null): Promise<void> {
  await sqlOf(em)(`insert into privacy_suppression (address_hash, kind, case_id) values (?, ?, ?) on conflict (address_hash, kind) do nothing`, [addressHash(email, secret), kind, caseId]);
}

/** True when the address opted out of `kind` (or was erased): for the newsletter and notices concerns. */
export async function isSuppressed(em: EntityManager, email: string, kinds: (ImmediateRight | 'erasure')[], secret: string): Promise<boolean> {
  const rows = await sqlOf(em)(`select 1 from privacy_suppression where address_hash = ? and kind = any(?::text[]) limit 1`, [addressHash(email, secret), `{${kinds.join(',')}}`]);
  return rows.length > 0;
}

export async function applyImmediate(
  em: EntityManager,
  right: ImmediateRight,
  ctx: EffectContext & { caseId: string; secret: string },
  effects: PrivacyEffects[] = privacyEffects,
): Promise<{ effects: { name: string; changed: number }[] }> {
  await suppress(em, ctx.email, right, ctx.secret, ctx.caseId);
  // Objecting to marketing also stops the tracking that serves it.
  if (right === 'objection') await suppress(em, ctx.email, 'unsubscribe', ctx.secret, ctx.caseId);
  const out: { name: string; changed: number }[] = [];
  for (const e of effects) {
    const fn = right === 'objection' ? (e.objection ?? e.unsubscribe) : right === 'unsubscribe' ? e.unsubscribe : e.doNotTrack;
    if (!fn) continue;
    const r = await fn.call(e, em, ctx);
    out.push({ name: e.name, changed: r.changed });
  }
  return { effects: out };
}
