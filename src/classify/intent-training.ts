/**
 * Labelled mail as the intent model sees it: each mail of an evaluation set goes through the
 * ingest parse stage (as in evaluation-set.ts) and becomes subject, the sender's new text and
 * language, with its label. Used by `npm run classify:train` and the cross-validation in
 * scripts/classify-cv.ts. An edge only in that the caller reads the files.
 */
import { parseStage } from '../ingest/parse-stage.ts';
import { splitReply } from '../threading/quote-split.ts';
import { bodyText, factsOf, type MessageFacts } from './message-facts.ts';
import { detectLanguage } from './language.ts';
import type { LabelledMail } from './evaluation-set.ts';
import type { TrainingMail } from './intent-model.ts';

const FORWARD_SUBJECT = /^\s*(fwd?|vs|wg|tr)\s*:/i;

export interface PreparedMail extends TrainingMail {
  id: string;
  facts: MessageFacts;
}

/**
 * The text the rules read, near enough: the new text, or with the quoted mail when it is a
 * forward or the new text is next to nothing (classify.ts does the same and adds a contact
 * form's message; at classification time the model reads exactly what the rules read).
 */
export function modelTextOf(facts: MessageFacts): string {
  const split = splitReply(bodyText(facts));
  if (FORWARD_SUBJECT.test(facts.subject) || split.newText.length < 20) return [split.newText, split.quoted.replace(/^\s*>+ ?/gm, '')].filter(Boolean).join('\n');
  return split.newText;
}

/** Every human mail of the set, prepared; automated mail (never classified) is left out. */
export async function prepareMails(set: LabelledMail[], o: { ownDomains: string[]; messageIdDomain: string }): Promise<PreparedMail[]> {
  const out: PreparedMail[] = [];
  for (const m of set) {
    const { stored } = await parseStage(m.raw, o);
    if (stored.automated.kind !== 'human') continue;
    const facts = factsOf(stored);
    const body = modelTextOf(facts);
    out.push({ id: m.id, label: m.expect, subject: facts.subject, body, language: detectLanguage(`${facts.subject}\n${body.slice(0, 5_000)}`), facts });
  }
  return out;
}
