/**
 * How well classification does on labelled mail: per-label precision and recall, the
 * confusion matrix, and the share of clear requests left to staff. Pure; the labelled mail is
 * read and classified by evaluation-set.ts.
 */
import type { Language } from './language.ts';
import type { PrivacyRight } from './routing-rules.ts';

/** What a person at the desk would make of a mail. */
export const EVAL_LABELS = ['support', 'sales', 'privacy', 'newsletter-reply', 'spam'] as const;
export type EvalLabel = (typeof EVAL_LABELS)[number];

/** What Mailroom made of it: a label, triage, or not a human's mail at all (auto-reply, list…). */
export type Predicted = EvalLabel | 'triage' | 'automated';
const PREDICTED: readonly Predicted[] = [...EVAL_LABELS, 'triage', 'automated'];

/** Requests a person expects an answer to: they must not wait in triage. */
const CLEAR_REQUESTS: readonly EvalLabel[] = ['support', 'sales', 'privacy'];

export interface EvalOutcome {
  id: string;
  expect: EvalLabel;
  predicted: Predicted;
  expectRights?: PrivacyRight[];
  rights?: PrivacyRight[];
  expectLanguage?: Language;
  language?: Language;
  /** The classifier's reasons, for reading a miss. */
  reasons?: string[];
}

export interface LabelFigures {
  /** Mails with this label. */
  n: number;
  /** Mails predicted as this label. */
  predicted: number;
  truePositives: number;
  /** NaN when nothing was predicted as this label. */
  precision: number;
  /** NaN when no mail has this label. */
  recall: number;
}

export interface EvalReport {
  count: number;
  labels: Record<EvalLabel, LabelFigures>;
  /** confusion[expected][predicted] = count */
  confusion: Record<EvalLabel, Record<Predicted, number>>;
  /** Clear requests (support, sales, privacy) that were left in triage. */
  clearInTriage: { n: number; of: number; share: number };
  language: { right: number; of: number };
  /** Privacy and unsubscribe mail whose every expected right was recognised. */
  rights: { right: number; of: number };
  misses: EvalOutcome[];
}

export function isEvalLabel(x: unknown): x is EvalLabel {
  return typeof x === 'string' && (EVAL_LABELS as readonly string[]).includes(x);
}

export function evaluate(outcomes: EvalOutcome[]): EvalReport {
  const confusion = Object.fromEntries(EVAL_LABELS.map((e) => [e, Object.fromEntries(PREDICTED.map((p) => [p, 0]))])) as EvalReport['confusion'];
  for (const o of outcomes) confusion[o.expect][o.predicted]++;
  const labels = Object.fromEntries(
    EVAL_LABELS.map((label) => {
      const n = outcomes.filter((o) => o.expect === label).length;
      const predicted = outcomes.filter((o) => o.predicted === label).length;
      const truePositives = confusion[label][label];
      return [label, { n, predicted, truePositives, precision: truePositives / predicted, recall: truePositives / n }];
    }),
  ) as Record<EvalLabel, LabelFigures>;
  const clear = outcomes.filter((o) => CLEAR_REQUESTS.includes(o.expect));
  const inTriage = clear.filter((o) => o.predicted === 'triage').length;
  const withLanguage = outcomes.filter((o) => o.expectLanguage && o.language);
  const withRights = outcomes.filter((o) => o.expectRights?.length);
  return {
    count: outcomes.length,
    labels,
    confusion,
    clearInTriage: { n: inTriage, of: clear.length, share: clear.length ? inTriage / clear.length : 0 },
    language: { right: withLanguage.filter((o) => o.language === o.expectLanguage).length, of: withLanguage.length },
    rights: { right: withRights.filter((o) => o.expectRights!.every((r) => o.rights?.includes(r))).length, of: withRights.length },
    misses: outcomes.filter((o) => o.predicted !== o.expect),
  };
}

const pct = (x: number) => (Number.isNaN(x) ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);

/** The report as a person reads it: figures per label, then the confusion matrix. */
export function formatReport(r: EvalReport, title = 'classification'): string {
  const lines: string[] = [`${title}: ${r.count} mails`, '', 'label              n   precision  recall'];
  for (const label of EVAL_LABELS) {
    const f = r.labels[label];
    lines.push(`${label.padEnd(17)} ${String(f.n).padStart(3)}   ${pct(f.precision)}    ${pct(f.recall)}`);
  }
  lines.push(
    '',
    `clear requests left in triage: ${r.clearInTriage.n} of ${r.clearInTriage.of} (${pct(r.clearInTriage.share).trim()})`,
    `language right: ${r.language.right} of ${r.language.of}; every right recognised: ${r.rights.right} of ${r.rights.of}`,
    '',
    'confusion (rows: expected, columns: predicted)',
  );
  const short: Record<Predicted, string> = { support: 'support', sales: 'sales', privacy: 'privacy', 'newsletter-reply': 'newsl', spam: 'spam', triage: 'triage', automated: 'auto' };
  lines.push(`${''.padEnd(17)}${PREDICTED.map((p) => short[p].padStart(8)).join('')}`);
  for (const e of EVAL_LABELS) lines.push(`${e.padEnd(17)}${PREDICTED.map((p) => String(r.confusion[e][p]).padStart(8)).join('')}`);
  return lines.join('\n');
}

/** The misses, one paragraph each with the reasons, for tuning on a training set. */
export function formatMisses(r: EvalReport): string {
  return r.misses.map((m) => `${m.id}: expected ${m.expect}, got ${m.predicted}\n  ${(m.reasons ?? []).join('\n  ')}`).join('\n\n');
}
