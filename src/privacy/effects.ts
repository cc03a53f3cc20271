/**
 * Objection to marketing, unsubscribe and DO NOT TRACK take effect at once, without approval
 * (GDPR art. 21(2)-(3), 7(3)). Mailroom records the address on the one suppression list
 * (src/suppression, a keyed hash), which every channel that markets or tracks consults, and
 * tells each `PrivacyEffects` implementation in `PrivacyDeps.effects`: the newsletter concern
 * implements it over its own tables (src/newsletter/privacy-effects.ts), without this folder
 * knowing them; the composition root (src/app) hands them in.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { suppressAddress } from '../suppression/suppression-list.ts';

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

export async function suppress(em: EntityManager, email: string, kind: ImmediateRight | 'erasure', secret: string, caseId: string | null): Promise<void> {
  await suppressAddress(em, secret, email, kind, { source: 'privacy-case', caseId });
}

export async function applyImmediate(
  em: EntityManager,
  right: ImmediateRight,
  ctx: EffectContext & { caseId: string; secret: string },
  effects: PrivacyEffects[] = [],
): Promise<{ effects: { name: string; changed: number }[] }> {
  // The list stops mail and tracking by itself (an objection both; see suppression-list.ts),
  // whether or not any concern holds the address.
  await suppress(em, ctx.email, right, ctx.secret, ctx.caseId);
  const out: { name: string; changed: number }[] = [];
  for (const e of effects) {
    const fn = right === 'objection' ? (e.objection ?? e.unsubscribe) : right === 'unsubscribe' ? e.unsubscribe : e.doNotTrack;
    if (!fn) continue;
    const r = await fn.call(e, em, ctx);
    out.push({ name: e.name, changed: r.changed });
  }
  return { effects: out };
}
