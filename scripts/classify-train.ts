/**
 * `npm run classify:train`: trains the intent model (src/classify/intent-model.ts) on the
 * training split of the evaluation set and writes src/classify/intent-model.json, which ships
 * with the code. Never reads the held-back test split.
 *   npm run classify:train [-- <dir> [<out.json>]]
 */
import { writeFileSync } from 'node:fs';
import { loadEvaluationSet } from '../src/classify/evaluation-set.ts';
import { prepareMails } from '../src/classify/intent-training.ts';
import { trainIntentModel } from '../src/classify/intent-model.ts';

const PARSE = { ownDomains: ['infracomfort.example'], messageIdDomain: 'infracomfort.example' };
const dir = process.argv[2] ?? 'test/fixtures/classify-eval/train';
const out = process.argv[3] ?? 'src/classify/intent-model.json';
if (/classify-eval\/test\b/.test(dir)) {
  process.stderr.write('classify:train: the test split is held back; train on test/fixtures/classify-eval/train\n');
  process.exit(2);
}

const mails = await prepareMails(await loadEvaluationSet(dir), PARSE);
const model = trainIntentModel(mails);
// One stem a line: small diffs when the training set grows.
const stems = Object.entries(model.stems).map(([s, row]) => `    ${JSON.stringify(s)}: ${JSON.stringify(row)}`);
const { stems: _, ...head } = model;
const json = `${JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "stems": {\n')}${stems.join(',\n')}\n  }\n}\n`;
JSON.parse(json);
writeFileSync(out, json);
process.stdout.write(`intent model: ${mails.length} mails (${Object.entries(model.trainedOn.perLabel).map(([l, n]) => `${l} ${n}`).join(', ')}), ${stems.length} features (stems and pairs of stems), ${(json.length / 1024).toFixed(0)} KiB → ${out}\n`);
