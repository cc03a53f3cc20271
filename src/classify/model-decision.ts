/**
 * Where the learned model (intent-model.ts) may change what the rules decided: only where the
 * rules are unsure, and never against privacy. Pure; classify.ts calls it once the rules
 * have decided (`decide`), with the scores they decided on.
 *
 *  1. Split evidence: the rules left two queues at or above minScore within the margin (and
 *     settleSupportSales could not settle it) → the model's best label wins if it is one of
 *     the two and its posterior is at least `MODEL_MIN_POSTERIOR`; else triage as before.
 *  2. Unclaimed: no queue claims the mail and it went to routing.defaultQueue → a confident
 *     model moves it to sales (or to support, when the default is triage). Never for a
 *     system sender, never to privacy, newsletter-reply or spam.
 *  3. Privacy floor: the model never lowers privacy and never makes a privacy case. Where it
 *     says privacy with at least `MODEL_PRIVACY_POSTERIOR` and the rules routed the mail to an
 *     ordinary queue, the mail goes to triage with the reason: staff decide. Privacy evidence
 *     the rules found (privacy.triageScore and up) keeps the model out of cases 1 and 2.
 */
import type { IntentPosterior, ModelLabel } from './intent-model.ts';
import { QUEUES, type Queue, type RoutingConfig } from './routing-rules.ts';

export type RouteOrTriage = Queue | 'triage';

/** The model moves a mail only when this sure. */
export const MODEL_MIN_POSTERIOR = 0.8;
/** The model sends a mail the rules did not see as privacy to triage when this sure. */
export const MODEL_PRIVACY_POSTERIOR = 0.9;
/** Fewer known stems than this: the model has too little to go on and is not asked. */
export const MODEL_MIN_KNOWN = 3;

export interface ModelVerdict {
  route: RouteOrTriage;
  /** For `reasons`; absent when the model was not consulted. */
  reason?: string;
}

const fmt = (p: number) => p.toFixed(2);

/**
 * What the model makes of the rules' decision: it acts on the basis `decide` gives (a split it
 * left to triage, or mail nothing claimed), never re-deriving it from the scores.
 */
export function applyModel(decided: { route: RouteOrTriage; basis?: 'split' | 'unclaimed' }, scores: Record<Queue, number>, config: RoutingConfig, posterior: IntentPosterior | undefined): ModelVerdict {
  const route = decided.route;
  if (!posterior || posterior.known < MODEL_MIN_KNOWN) return { route };
  const best = posterior.best;
  const pBest = posterior.p[best];

  // 3. Privacy floor: a confident privacy reading is never lost, and never acted on alone.
  if (posterior.p.privacy >= MODEL_PRIVACY_POSTERIOR && route !== 'privacy' && route !== 'spam' && route !== 'newsletter-reply') {
    const said = `model: privacy ${fmt(posterior.p.privacy)}, rules privacy ${scores.privacy} < privacy.minScore ${config.privacy.minScore}`;
    if (route === 'triage') return { route, reason: `${said}: stays in triage for staff` };
    return { route: 'triage', reason: `${said}: triage instead of ${route}, staff decide (the model never makes a privacy case)` };
  }
  if (route === 'privacy' || scores.privacy >= config.privacy.triageScore || scores.spam >= config.spam.minScore) return { route };

  const ranked = QUEUES.filter((q) => q !== 'privacy').sort((a, b) => scores[b] - scores[a]);
  const [top, second] = [ranked[0]!, ranked[1]!];

  // 1. Split evidence left to triage.
  if (decided.basis === 'split') {
    const split = `rules split ${top} ${scores[top]} / ${second} ${scores[second]}`;
    if ((best === top || best === second) && pBest >= MODEL_MIN_POSTERIOR) return { route: best, reason: `model: ${best} ${fmt(pBest)} (${split})` };
    return { route, reason: `model: ${best} ${fmt(pBest)}, not sure enough to settle it (${split}; needs one of them ≥ ${MODEL_MIN_POSTERIOR})` };
  }

  // 2. Unclaimed mail that went to the default queue (a system sender gets triage, not this).
  if (decided.basis === 'unclaimed') {
    const movable: ModelLabel[] = config.defaultQueue === 'triage' ? ['support', 'sales'] : ['sales'];
    if (best !== route && movable.includes(best) && pBest >= MODEL_MIN_POSTERIOR) {
      return { route: best as Queue, reason: `model: ${best} ${fmt(pBest)} (no rule claims it, best ${top} ${scores[top]}; instead of routing.defaultQueue ${route})` };
    }
    return { route, reason: `model: ${best} ${fmt(pBest)}: ${best === route ? 'agrees' : 'not sure enough or not a queue it may choose'}; stays ${route}` };
  }
  return { route };
}
