/**
 * Routing quality on the held-out test split of the classification evaluation set
 * (test/fixtures/classify-eval/test): per-queue precision and recall, the confusion matrix and
 * the share of clear requests left in triage, against issue 16's goals; and what classifying
 * costs next to parsing the same mail.
 */
import { defaultRoutingConfig } from '../src/classify/routing-rules.ts';
import { classifyMessage } from '../src/classify/classify.ts';
import { EVAL_LABELS, evaluate, type EvalLabel } from '../src/classify/evaluation.ts';
import { loadEvaluationSet, runEvaluation } from '../src/classify/evaluation-set.ts';
import { parseStage } from '../src/ingest/parse-stage.ts';
import { factsOf } from '../src/classify/message-facts.ts';
import type { BenchRow } from './bench-context.ts';

const PARSE = { ownDomains: ['infracomfort.example'], messageIdDomain: 'infracomfort.example' };

/** Issue 16: recall and precision goals for the queues a customer waits on. */
const GOALS: Partial<Record<EvalLabel, { recall: number; precision: number }>> = {
  support: { recall: 0.98, precision: 0.95 },
  sales: { recall: 0.95, precision: 0.95 },
  privacy: { recall: 0.98, precision: 0.95 },
};

const pct = (x: number) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)} %`);

export async function classifyBench(dir = 'test/fixtures/classify-eval/test'): Promise<BenchRow[]> {
  const set = await loadEvaluationSet(dir);
  const report = evaluate(await runEvaluation(set, defaultRoutingConfig, PARSE));
  const rows: BenchRow[] = EVAL_LABELS.map((label) => {
    const f = report.labels[label];
    const goal = GOALS[label];
    const confusion = Object.entries(report.confusion[label])
      .filter(([, n]) => n > 0)
      .map(([p, n]) => `${n} ${p}`)
      .join(', ');
    return {
      name: `classify ${label} (test split, n=${f.n})`,
      figure: `precision ${pct(f.precision)}, recall ${pct(f.recall)}; routed: ${confusion}`,
      baseline: goal ? 'issue 16 goals (ratio = recall)' : 'no goal (ratio = recall)',
      ratio: f.recall,
      goal: goal ? `recall ≥ ${pct(goal.recall)}, precision ≥ ${pct(goal.precision)}` : '-',
      ok: goal ? f.recall >= goal.recall && (Number.isNaN(f.precision) ? false : f.precision >= goal.precision) : true,
    };
  });
  rows.push({
    name: `classify: clear requests left in triage (test split)`,
    figure: `${report.clearInTriage.n} of ${report.clearInTriage.of} (${pct(report.clearInTriage.share)})`,
    baseline: 'the 3 % goal (ratio = share ÷ 3 %)',
    ratio: report.clearInTriage.share / 0.03,
    goal: '≤ 3 %',
    ok: report.clearInTriage.share <= 0.03,
  });

  // Cost: classifying the parsed mail, against parsing it (both in this process, several rounds).
  const parsed = [];
  const t0 = performance.now();
  for (const m of set) parsed.push(factsOf((await parseStage(m.raw, PARSE)).stored));
  const parseMs = (performance.now() - t0) / set.length;
  const rounds = 20;
  const t1 = performance.now();
  for (let r = 0; r < rounds; r++) for (const f of parsed) classifyMessage(f, { config: defaultRoutingConfig });
  const classifyMs = (performance.now() - t1) / (rounds * parsed.length);
  rows.push({
    name: `classify: time per message (${parsed.length} mails × ${rounds})`,
    figure: `${(classifyMs * 1000).toFixed(0)} µs`,
    baseline: `${(parseMs * 1000).toFixed(0)} µs to parse the same mail (first pass)`,
    ratio: classifyMs / parseMs,
    goal: '≤ 0.5× parsing',
    ok: classifyMs / parseMs <= 0.5,
  });
  return rows;
}
