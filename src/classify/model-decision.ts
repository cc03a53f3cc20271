/**
 * Where the learned model (intent-model.ts) may change what the rules decided: only between
 * support and sales, where the rules are unsure or the model is very sure, and never against
 * privacy. Pure; classify.ts calls it once the rules have decided (`decide`), with the scores
 * they decided on.
 *
 *  1. Split evidence: the rules left two queues at or above minScore within the margin (and
 *     settleSupportSales could not settle it) → the model's best label wins if it is one of
 *     the two and its posterior is at least `MODEL_MIN_POSTERIOR`; else triage as before. A
 *     fault and an explicit ask for a price or an offer in one mail are two requests, not
 *     unclear evidence: there it needs `MODEL_OVERTURN_POSTERIOR`.
 *  2. Unclaimed: no queue claims the mail and it went to routing.defaultQueue → a confident
 *     model moves it to sales (or to support, when the default is triage): `MODEL_LEAN_POSTERIOR`
 *     is enough when that queue has some evidence of its own, `MODEL_MIN_POSTERIOR` when the
 *     default is triage (nothing to overturn), and without any evidence for sales against the
 *     default it takes `MODEL_OVERTURN_POSTERIOR` (a supplier's pitch reads like an enquiry).
 *     Never for a system sender, never to privacy, newsletter-reply or spam.
 *  3. Overturn: the rules routed the mail to support or sales (ahead by the margin, or a split
 *     settled by the kind of evidence), the other of the two has evidence of its own (at least
 *     `MODEL_OVERTURN_EVIDENCE`: a clear topic word) of its decisive kind (for sales an explicit
 *     ask: sales.quote, sales.request, sales.want; for support a fault or something they have),
 *     and the model says that other with at least `MODEL_OVERTURN_POSTERIOR` → the other. The rules' word lists know the phrasings their
 *     authors saw; an owner with a fault who wants a new unit and a buyer who talks about price of
 *     a repair share the words, and the model, reading every word and its neighbour, tells them
 *     apart better than the sum of weights (measured on blind batches before the rules were
 *     tuned on them: see src/classify/README.md).
 *  4. Privacy floor: the model never lowers privacy and never makes a privacy case. Where it
 *     says privacy with at least `MODEL_PRIVACY_POSTERIOR` and the rules routed the mail to an
 *     ordinary queue, the mail goes to triage with the reason: staff decide. Privacy evidence
 *     the rules found (privacy.triageScore and up) keeps the model out of cases 1 to 3.
 */
import type { IntentPosterior, ModelLabel } from './intent-model.ts';
import { QUEUES, type Queue, type RoutingConfig } from './routing-rules.ts';

export type RouteOrTriage = Queue | 'triage';

/** The model settles a split, or claims unclaimed mail, when this sure. */
export const MODEL_MIN_POSTERIOR = 0.8;
/** Unclaimed mail where sales has some evidence of its own: the model's lean is enough. */
export const MODEL_LEAN_POSTERIOR = 0.6;
/** The model overturns the rules' support or sales only when this sure... */
export const MODEL_OVERTURN_POSTERIOR = 0.95;
/** ...and the queue it names has at least this much evidence of its own in the rules' scores. */
export const MODEL_OVERTURN_EVIDENCE = 2;
/** The model sends a mail the rules did not see as privacy to triage when this sure. */
export const MODEL_PRIVACY_POSTERIOR = 0.9;
/** Fewer known stems than this: the model has too little to go on and is not asked. */
export const MODEL_MIN_KNOWN = 3;

/** The kinds of evidence the rules counted (classify.ts `EvidenceKinds`). */
export interface CountedKinds {
  /** An explicit ask for a price, an offer or something new. */
  salesAsk: boolean;
  /** A fault or symptom. */
  fault: boolean;
  /** Something the writer has already. */
  owned: boolean;
  /** Queues the operator's address rules (recipient, sender domain) gave weight. */
  addressed?: readonly string[];
}

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
export function applyModel(
  decided: { route: RouteOrTriage; basis?: 'split' | 'unclaimed' | 'settled' | 'ahead' },
  scores: Record<Queue, number>,
  config: RoutingConfig,
  posterior: IntentPosterior | undefined,
  kinds: CountedKinds = { salesAsk: false, fault: false, owned: false },
): ModelVerdict {
  const route = decided.route;
  if (!posterior || posterior.known < MODEL_MIN_KNOWN) return { route };
  const best = posterior.best;
  const pBest = posterior.p[best];

  // 4. Privacy floor: a confident privacy reading is never lost, and never acted on alone.
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
    const twoRequests = kinds.fault && kinds.salesAsk;
    const needs = twoRequests ? MODEL_OVERTURN_POSTERIOR : MODEL_MIN_POSTERIOR;
    if ((best === top || best === second) && pBest >= needs) return { route: best, reason: `model: ${best} ${fmt(pBest)} (${split})` };
    return { route, reason: `model: ${best} ${fmt(pBest)}, not sure enough to settle it (${split}${twoRequests ? ', a fault and an explicit ask' : ''}; needs one of them ≥ ${needs})` };
  }

  // 2. Unclaimed mail that went to the default queue (a system sender gets triage, not this).
  if (decided.basis === 'unclaimed') {
    const movable: ModelLabel[] = config.defaultQueue === 'triage' ? ['support', 'sales'] : ['sales'];
    const needs = best === 'sales' && scores.sales > 0 ? MODEL_LEAN_POSTERIOR : config.defaultQueue === 'triage' ? MODEL_MIN_POSTERIOR : MODEL_OVERTURN_POSTERIOR;
    if (best !== route && movable.includes(best) && pBest >= needs) {
      return { route: best as Queue, reason: `model: ${best} ${fmt(pBest)} (no rule claims it, best ${top} ${scores[top]}; instead of routing.defaultQueue ${route})` };
    }
    return { route, reason: `model: ${best} ${fmt(pBest)}: ${best === route ? 'agrees' : 'not sure enough or not a queue it may choose'}; stays ${route}` };
  }

  // 3. The rules chose support or sales; a very sure model with evidence for the other overturns it.
  if ((decided.basis === 'ahead' || decided.basis === 'settled') && (route === 'support' || route === 'sales')) {
    const other: Queue = route === 'support' ? 'sales' : 'support';
    const decisive = other === 'sales' ? kinds.salesAsk : kinds.fault || kinds.owned;
    // The configuration said where mail to this address goes (support@ is support): the model
    // reads only the text and does not argue with the operator.
    if (kinds.addressed?.includes(route)) return { route, reason: best === other && pBest >= MODEL_OVERTURN_POSTERIOR ? `model: ${other} ${fmt(pBest)}, but the address rules give ${route}: stays ${route}` : undefined };
    if (best === other && pBest >= MODEL_OVERTURN_POSTERIOR && scores[other] >= MODEL_OVERTURN_EVIDENCE && decisive) {
      return { route: other, reason: `model: ${other} ${fmt(pBest)} overturns the rules' ${route} (${route} ${scores[route]} / ${other} ${scores[other]}; ${other} has evidence of its own kind ≥ ${MODEL_OVERTURN_EVIDENCE} and the model is ≥ ${MODEL_OVERTURN_POSTERIOR})` };
    }
  }
  return { route };
}
