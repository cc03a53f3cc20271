/**
 * A small learned second opinion for the keyword rules: multinomial naive Bayes over word
 * stems (the same Snowball stemmers the rules use), trained from the labelled training split
 * by `npm run classify:train` and shipped as `intent-model.json`. The rules know the phrasings
 * their authors thought of; the model has seen a few hundred mails in other voices, so where
 * the rules are unsure (see model-decision.ts) it is consulted. It never decides alone.
 *
 * Features are binary per mail (a stem counts once, however often it is said: "binarised"
 * multinomial NB, steadier on short text than raw counts), a subject stem weighs
 * SUBJECT_WEIGHT. Beside the stems, each pair of neighbouring stems in one sentence is a
 * feature ("vil kjøp", "varmepump vår", "pris på"): whether they have it or want it, and what
 * a price is of, is said by a word and its neighbour, not by either alone. Features seen in
 * fewer than MIN_MAILS training mails are pruned, which keeps the file small and drops names
 * and one-off words. Pure: training and scoring take data in.
 */
import { readFileSync } from 'node:fs';
import { stemOf, TextIndex } from './terms.ts';
import type { Language } from './language.ts';

export const MODEL_LABELS = ['support', 'sales', 'privacy', 'newsletter-reply', 'spam'] as const;
export type ModelLabel = (typeof MODEL_LABELS)[number];

/** A subject says what the mail is about in a few words. */
export const SUBJECT_WEIGHT = 3;
/** A stem must be in at least this many training mails to be kept. */
const MIN_MAILS = 3;
/**
 * The evidence is divided by this before the posterior (naive Bayes' independence makes 30
 * stems look like 30 witnesses). 3 was the smallest value at which the model, used as
 * model-decision.ts uses it, no longer sent more support mail to triage than it settled, in
 * 5-fold and leave-one-batch-out cross-validation on the training split (`npm run classify:cv`).
 */
export const TEMPERATURE = 3;
/** Laplace smoothing. */
const ALPHA = 1;

export interface IntentModel {
  version: 1;
  labels: ModelLabel[];
  subjectWeight: number;
  /** Evidence is divided by this before the posterior (see TEMPERATURE); absent: 1. */
  temperature?: number;
  /** log P(label), per label, in `labels` order. */
  logPrior: number[];
  /** log P(feature | label), per label, rounded to 3 decimals: a stem, or two neighbouring stems ("vil kjøp"). Unknown ones are ignored. */
  stems: Record<string, number[]>;
  /** How it was made, for a person reading the file. */
  trainedOn: { mails: number; perLabel: Record<string, number>; minMails: number };
}

export interface TrainingMail {
  label: ModelLabel;
  subject: string;
  body: string;
  language: Language;
}

/** A text as the model reads it: its distinct words, and the pairs of neighbouring words (TextIndex). */
export interface ModelText {
  words(): readonly string[];
  pairs(): ReadonlyArray<readonly [string, string]>;
}

/** Numbers (prices, order numbers, years) and single letters say nothing about intent. */
const meaningless = (w: string) => w.length < 2 || /^\d+$/.test(w);

function addFeatures(text: ModelText, language: Language, into: Map<string, number>, weight: number): void {
  const stemLanguage = language === 'en' ? 'en' : 'no';
  const put = (feature: string) => {
    if ((into.get(feature) ?? 0) < weight) into.set(feature, weight);
  };
  for (const w of text.words()) if (!meaningless(w)) put(stemOf(w, stemLanguage));
  // A stem holds no space, so a pair cannot be mistaken for a stem.
  for (const [a, b] of text.pairs()) if (!meaningless(a) && !meaningless(b)) put(`${stemOf(a, stemLanguage)} ${stemOf(b, stemLanguage)}`);
}

/** A text as the model reads it (classify.ts passes the TextIndex it already has). */
export function textOf(text: string): ModelText {
  return new TextIndex(text);
}

/**
 * A mail's features from its subject and body (classify.ts passes its TextIndexes, so the text
 * is not read twice): each stem and each pair of neighbouring stems once, weighted by where it stands.
 */
export function featuresOf(subject: ModelText, body: ModelText, language: Language, subjectWeight = SUBJECT_WEIGHT): Map<string, number> {
  const out = new Map<string, number>();
  addFeatures(body, language, out, 1);
  addFeatures(subject, language, out, subjectWeight);
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function trainIntentModel(mails: TrainingMail[], o: { minMails?: number } = {}): IntentModel {
  const minMails = o.minMails ?? MIN_MAILS;
  const labels = [...MODEL_LABELS];
  const featureSets = mails.map((m) => featuresOf(textOf(m.subject), textOf(m.body), m.language));
  const mailCount = new Map<string, number>();
  for (const f of featureSets) for (const stem of f.keys()) mailCount.set(stem, (mailCount.get(stem) ?? 0) + 1);
  const vocabulary = [...mailCount].filter(([, n]) => n >= minMails).map(([s]) => s).sort();
  const kept = new Set(vocabulary);
  const counts = labels.map(() => new Map<string, number>());
  const totals = labels.map(() => 0);
  const perLabel = labels.map(() => 0);
  mails.forEach((m, i) => {
    const l = labels.indexOf(m.label);
    perLabel[l]++;
    for (const [stem, w] of featureSets[i]!) {
      if (!kept.has(stem)) continue;
      counts[l]!.set(stem, (counts[l]!.get(stem) ?? 0) + w);
      totals[l] += w;
    }
  });
  const stems: Record<string, number[]> = {};
  for (const stem of vocabulary) {
    stems[stem] = labels.map((_, l) => round3(Math.log(((counts[l]!.get(stem) ?? 0) + ALPHA) / (totals[l]! + ALPHA * vocabulary.length))));
  }
  // A label without mail keeps a tiny prior instead of -Infinity (JSON cannot hold it).
  const logPrior = perLabel.map((n) => round3(Math.log((n + 0.5) / (mails.length + 0.5 * labels.length))));
  return {
    version: 1,
    labels,
    subjectWeight: SUBJECT_WEIGHT,
    temperature: TEMPERATURE,
    logPrior,
    stems,
    trainedOn: { mails: mails.length, perLabel: Object.fromEntries(labels.map((l, i) => [l, perLabel[i]!])), minMails },
  };
}

export interface IntentPosterior {
  /** P(label | mail), per label; sums to 1. */
  p: Record<ModelLabel, number>;
  best: ModelLabel;
  /** How many of the mail's features (stems and pairs) the model knows (0: it has nothing to say). */
  known: number;
}

/** The model's posterior for a mail (see `textOf`): a dictionary lookup per distinct feature. */
export function scoreIntent(model: IntentModel, subject: ModelText, body: ModelText, language: Language): IntentPosterior {
  const logp = [...model.logPrior];
  let known = 0;
  for (const [stem, w] of featuresOf(subject, body, language, model.subjectWeight)) {
    const row = model.stems[stem];
    if (!row) continue;
    known++;
    for (let l = 0; l < logp.length; l++) logp[l] += w * row[l]!;
  }
  // Naive Bayes counts every stem as independent evidence and is far too sure of itself;
  // the evidence is divided by a temperature (chosen by cross-validation) before the posterior.
  const t = model.temperature ?? 1;
  for (let l = 0; l < logp.length; l++) logp[l] = model.logPrior[l]! + (logp[l]! - model.logPrior[l]!) / t;
  const max = Math.max(...logp);
  const exp = logp.map((x) => Math.exp(x - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const p = Object.fromEntries(model.labels.map((l, i) => [l, exp[i]! / sum])) as Record<ModelLabel, number>;
  const best = model.labels[logp.indexOf(max)]!;
  return { p, best, known };
}

let shipped: IntentModel | null | undefined;

/**
 * The model shipped beside this module (`intent-model.json`, written by `npm run classify:train`),
 * read once; `null` when it is missing or unreadable: the rules then decide alone.
 */
export function shippedIntentModel(): IntentModel | null {
  if (shipped !== undefined) return shipped;
  try {
    const m = JSON.parse(readFileSync(new URL('./intent-model.json', import.meta.url), 'utf8')) as IntentModel;
    shipped = m.version === 1 && Array.isArray(m.labels) ? m : null;
  } catch {
    shipped = null;
  }
  return shipped;
}
