/**
 * The newsletter's part of a privacy request (src/privacy/effects.ts): the suppression list
 * already stops mail and tracking; this brings the newsletter's own tables in line, so lists,
 * the preferences page and `subscribers list` tell the same story. Runs in the case's transaction.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EffectContext, PrivacyEffects } from '../privacy/effects.ts';
import { findSubscriber, unsubscribeAll } from './subscribers.ts';
import { insertConsentLog, setDntOn } from './subscriber-store.ts';

export function newsletterPrivacyEffects(o: { secret: string }): PrivacyEffects {
  const offEveryList = (reason: 'objection' | 'unsubscribe') => async (em: EntityManager, ctx: EffectContext) => {
    const sub = await findSubscriber(em, { email: ctx.email });
    if (!sub) return { changed: 0 };
    await unsubscribeAll(em, o.secret, sub.id, `privacy-case ${ctx.caseRef}`, null, undefined, reason);
    return { changed: 1 };
  };
  return {
    name: 'newsletter',
    objection: offEveryList('objection'),
    unsubscribe: offEveryList('unsubscribe'),
    async doNotTrack(em, ctx) {
      const rows = await setDntOn(em, ctx.email);
      for (const r of rows) await insertConsentLog(em, r.id, null, 'dnt-on', `privacy-case ${ctx.caseRef}`, null);
      return { changed: rows.length };
    },
  };
}
