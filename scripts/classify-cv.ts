/**
 * `npm run classify:cv`: how much the intent model adds to the rules, measured on the training
 * split only (the test split stays held back). k-fold cross-validation (k = 5, stratified by
 * label, fixed seed): the model is trained on k-1 folds and the held-out fold is classified
 * with rules + model and with rules alone; then leave-one-batch-out (train on every other
 * writer's batch, classify one batch: closer to "mail written by someone else").
 * Caveat printed with the figures: the rules were tuned on all of this split, so "rules alone"
 * is optimistic here; the model never saw its held-out fold.
 */
import { loadEvaluationSet } from '../src/classify/evaluation-set.ts';
import { prepareMails, type PreparedMail } from '../src/classify/intent-training.ts';
import { trainIntentModel, type IntentModel } from '../src/classify/intent-model.ts';
import { classifyMessage } from '../src/classify/classify.ts';
import { defaultRoutingConfig } from '../src/classify/routing-rules.ts';
import { EVAL_LABELS, evaluate, formatReport, type EvalOutcome } from '../src/classify/evaluation.ts';

const PARSE = { ownDomains: ['infracomfort.example'], messageIdDomain: 'infracomfort.example' };
const dir = process.argv[2] ?? 'test/fixtures/classify-eval/train';
if (/classify-eval\/test\b/.test(dir)) {
  process.stderr.write('classify:cv: the test split is held back\n');
  process.exit(2);
}
const K = 5;
const config = defaultRoutingConfig;

const mails = await prepareMails(await loadEvaluationSet(dir), PARSE);

/** Deterministic shuffle (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(16);
const foldOf = new Map<string, number>();
for (const label of EVAL_LABELS) {
  const of = mails.filter((m) => m.label === label).map((m) => ({ m, r: rand() })).sort((a, b) => a.r - b.r);
  of.forEach(({ m }, i) => foldOf.set(m.id, i % K));
}

interface Run { withModel: EvalOutcome[]; rulesAlone: EvalOutcome[]; changed: string[]; msModel: number; msRules: number }
function classifyHeldOut(train: PreparedMail[], held: PreparedMail[], run: Run): void {
  const model: IntentModel = trainIntentModel(train);
  for (const m of held) {
    let t = performance.now();
    const a = classifyMessage(m.facts, { config, intentModel: null });
    run.msRules += performance.now() - t;
    t = performance.now();
    const b = classifyMessage(m.facts, { config, intentModel: model });
    run.msModel += performance.now() - t;
    run.rulesAlone.push({ id: m.id, expect: m.label, predicted: a.route, reasons: a.reasons });
    run.withModel.push({ id: m.id, expect: m.label, predicted: b.route, reasons: b.reasons });
    if (a.route !== b.route) run.changed.push(`${m.id} (${m.label}): ${a.route} → ${b.route}  [${b.reasons.filter((r) => r.startsWith('model:')).join('; ')}]`);
  }
}

function report(title: string, run: Run): void {
  const a = evaluate(run.rulesAlone);
  const b = evaluate(run.withModel);
  process.stdout.write(`\n=== ${title}\n`);
  process.stdout.write('label              n   rules P / R         rules+model P / R\n');
  const pct = (x: number) => (Number.isNaN(x) ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);
  for (const l of EVAL_LABELS) {
    const fa = a.labels[l], fb = b.labels[l];
    process.stdout.write(`${l.padEnd(17)} ${String(fa.n).padStart(3)}   ${pct(fa.precision)} / ${pct(fa.recall)}    ${pct(fb.precision)} / ${pct(fb.recall)}\n`);
  }
  process.stdout.write(`clear requests in triage: rules ${a.clearInTriage.n} of ${a.clearInTriage.of}, rules+model ${b.clearInTriage.n} of ${b.clearInTriage.of}\n`);
  const right = (o: EvalOutcome[]) => o.filter((x) => x.predicted === x.expect).length;
  process.stdout.write(`routed right: rules ${right(run.rulesAlone)}, rules+model ${right(run.withModel)} of ${run.withModel.length}\n`);
  process.stdout.write(`changed by the model (${run.changed.length}):\n  ${run.changed.join('\n  ')}\n`);
  process.stdout.write(`classify CPU per message: rules ${(run.msRules / run.withModel.length).toFixed(3)} ms, rules+model ${(run.msModel / run.withModel.length).toFixed(3)} ms\n`);
  if (process.env.CV_MATRIX) process.stdout.write(`\n${formatReport(b, 'rules+model')}\n`);
}

const cv: Run = { withModel: [], rulesAlone: [], changed: [], msModel: 0, msRules: 0 };
for (let k = 0; k < K; k++) classifyHeldOut(mails.filter((m) => foldOf.get(m.id) !== k), mails.filter((m) => foldOf.get(m.id) === k), cv);
report(`${K}-fold cross-validation on ${dir} (${mails.length} mails; stratified, seed 16)`, cv);

const batchOf = (id: string) => (/^(f3|fresh)-/.test(id) ? 'f3 (blind 1)' : /^g4-/.test(id) ? 'g4 (blind 2)' : /^h5-/.test(id) ? 'h5 (blind 3)' : /^i6-/.test(id) ? 'i6 (blind 4)' : 'first writer');
const lobo: Run = { withModel: [], rulesAlone: [], changed: [], msModel: 0, msRules: 0 };
for (const batch of [...new Set(mails.map((m) => batchOf(m.id)))]) classifyHeldOut(mails.filter((m) => batchOf(m.id) !== batch), mails.filter((m) => batchOf(m.id) === batch), lobo);
report('leave-one-batch-out (each writer\'s batch classified by a model trained on the others)', lobo);
process.stdout.write('\nNote: the rules were tuned on this whole split, so "rules" is optimistic; the model never saw its held-out mails.\n');
