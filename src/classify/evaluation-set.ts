/**
 * Labelled mail for evaluation.ts, read from a folder, and classified the way the daemon
 * classifies it: each entry becomes an RFC 5322 message (nodemailer's MailComposer), goes
 * through the ingest parse stage (mailparser, automated-mail recognition) and then through
 * classifyMessage as a first contact (no contact or organisation on file).
 *
 * A folder may hold, at any depth:
 *   - `*.yaml` lists of mails (see test/fixtures/classify-eval/README.md);
 *   - `*.jsonl` lines as `mailroom classify corrections --json` exports them (the corrected
 *     route is the label);
 *   - `<label>/*.eml` files, labelled by the folder they are in.
 * This is an edge (it reads files); the decisions stay in classify.ts and evaluation.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { parseStage } from '../ingest/parse-stage.ts';
import { factsOf } from './message-facts.ts';
import { classifyMessage, type Classification } from './classify.ts';
import type { Language } from './language.ts';
import { PRIVACY_RIGHTS, type PrivacyRight, type RoutingConfig } from './routing-rules.ts';
import { isEvalLabel, type EvalLabel, type EvalOutcome, type Predicted } from './evaluation.ts';

export interface LabelledMail {
  id: string;
  expect: EvalLabel;
  rights?: PrivacyRight[];
  lang?: Language;
  /** The whole message, as it would reach the inbox. */
  raw: Buffer;
}

/** One mail of a YAML list (or a corrections line, after mapping). */
interface Entry {
  id?: string;
  expect?: string;
  rights?: string[];
  lang?: string;
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  inReplyTo?: string;
  headers?: Record<string, string>;
}

export class EvaluationSetError extends Error {
  override name = 'EvaluationSetError';
}

const DEFAULT_TO = 'post@infracomfort.example';

/** An entry as the message that would reach the inbox. */
export async function entryToRaw(e: Entry, seq: number): Promise<Buffer> {
  const mail = new MailComposer({
    from: e.from ?? 'unknown@example.invalid',
    to: e.to ?? DEFAULT_TO,
    subject: e.subject ?? '',
    text: e.body ?? '',
    messageId: `<eval-${seq}-${(e.id ?? 'x').replace(/[^\w.-]/g, '')}@eval.invalid>`,
    date: new Date(Date.UTC(2026, 10, 2, 9, 0, 0)),
    ...(e.inReplyTo ? { inReplyTo: e.inReplyTo, references: [e.inReplyTo] } : {}),
    headers: e.headers,
  });
  return mail.compile().build();
}

function rightsOf(x: unknown, where: string): PrivacyRight[] | undefined {
  if (x === undefined) return undefined;
  if (!Array.isArray(x) || !x.every((r) => (PRIVACY_RIGHTS as readonly string[]).includes(r))) {
    throw new EvaluationSetError(`${where}: rights must be a list of ${PRIVACY_RIGHTS.join(', ')}`);
  }
  return x as PrivacyRight[];
}

function labelled(e: Entry, where: string): Entry & { expect: EvalLabel } {
  if (!isEvalLabel(e.expect)) throw new EvaluationSetError(`${where}: expect must be one of support, sales, privacy, newsletter-reply, spam (got ${JSON.stringify(e.expect)})`);
  return e as Entry & { expect: EvalLabel };
}

/** What a corrections export line says, as an entry: the staff's route is the label. */
function correctionEntry(line: Record<string, unknown>, where: string): Entry {
  return {
    id: `correction-${String(line.id ?? where)}`,
    expect: String(line.correctedRoute),
    from: String(line.from ?? ''),
    subject: String(line.subject ?? ''),
    body: String(line.body ?? ''),
  };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** Every labelled mail in `dir` (see the header for the formats), in a stable order. */
export async function loadEvaluationSet(dir: string): Promise<LabelledMail[]> {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new EvaluationSetError(`${dir}: no such file or folder`);
  }
  const files = stat.isDirectory() ? filesUnder(dir) : [dir];
  const out: LabelledMail[] = [];
  let seq = 0;
  for (const file of files) {
    const rel = path.relative(stat.isDirectory() ? dir : path.dirname(dir), file);
    if (file.endsWith('.yaml') || file.endsWith('.yml')) {
      const list = parseYaml(readFileSync(file, 'utf8')) as unknown;
      if (!Array.isArray(list)) throw new EvaluationSetError(`${rel}: expected a list of mails`);
      for (const [i, item] of list.entries()) {
        const e = labelled(item as Entry, `${rel} #${i + 1}`);
        out.push({ id: e.id ?? `${rel}#${i + 1}`, expect: e.expect, rights: rightsOf(e.rights, `${rel} #${i + 1}`), lang: e.lang as Language | undefined, raw: await entryToRaw(e, seq++) });
      }
    } else if (file.endsWith('.jsonl')) {
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
      for (const [i, text] of lines.entries()) {
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new EvaluationSetError(`${rel} line ${i + 1}: not JSON`);
        }
        const e = labelled('correctedRoute' in line ? correctionEntry(line, `${rel}:${i + 1}`) : (line as Entry), `${rel} line ${i + 1}`);
        out.push({ id: e.id ?? `${rel}:${i + 1}`, expect: e.expect, rights: rightsOf(e.rights, `${rel} line ${i + 1}`), lang: e.lang as Language | undefined, raw: await entryToRaw(e, seq++) });
      }
    } else if (file.endsWith('.eml')) {
      const label = path.basename(path.dirname(file));
      if (!isEvalLabel(label)) throw new EvaluationSetError(`${rel}: an .eml file must be in a folder named after its label (support, sales, privacy, newsletter-reply, spam)`);
      out.push({ id: rel, expect: label, raw: readFileSync(file) });
    }
  }
  return out;
}

export interface RawClassification {
  /** Set when the parse stage recognised a robot (bounce, auto-reply, list…): never classified. */
  automated?: string;
  classification?: Classification;
}

/** A raw message as the daemon would see it on first contact: parse stage, then classify. */
export async function classifyRaw(raw: Buffer, config: RoutingConfig, o: { ownDomains: string[]; messageIdDomain: string }): Promise<RawClassification> {
  const { stored } = await parseStage(raw, o);
  if (stored.automated.kind !== 'human') return { automated: stored.automated.kind };
  return { classification: classifyMessage(factsOf(stored), { config }) };
}

export function predictedOf(r: RawClassification): Predicted {
  if (!r.classification) return 'automated';
  return r.classification.route;
}

/** Classifies every mail of a set. */
export async function runEvaluation(set: LabelledMail[], config: RoutingConfig, o: { ownDomains: string[]; messageIdDomain: string }): Promise<EvalOutcome[]> {
  const out: EvalOutcome[] = [];
  for (const m of set) {
    const r = await classifyRaw(m.raw, config, o);
    out.push({
      id: m.id,
      expect: m.expect,
      predicted: predictedOf(r),
      expectRights: m.rights,
      rights: r.classification?.privacyRights,
      expectLanguage: m.lang,
      language: r.classification?.language,
      reasons: r.automated ? [`recognised as automated mail (${r.automated})`] : r.classification?.reasons,
    });
  }
  return out;
}
