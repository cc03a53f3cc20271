/**
 * Rectification and completion (GDPR art. 16): the requested change extracted from the
 * request where possible (pure), applied after approval to every system holding the field.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SubjectKeys } from './subject.ts';
import { updatePersonField } from './subject-store.ts';

export type RectifiableField = 'phone' | 'email' | 'name' | 'title';

export interface RequestedChange {
  field: RectifiableField;
  value: string;
  /** The words that gave it away (for staff; never posted to Slack). */
  evidence: string;
}

const PHONE = String.raw`(\+?\d[\d \-.]{6,16}\d)`;
const EMAIL = String.raw`([^\s@<>"(),;:]+@[^\s@<>"(),;:]+\.[a-z]{2,})`;
const NAME = String.raw`([\p{Lu}][\p{L}'-]+(?:[ ][\p{Lu}][\p{L}'-]+){0,3})`;
const TITLE = String.raw`([\p{L}][\p{L} -]{1,40}?)(?=[.,;\n]|$)`;

const RULES: { field: RectifiableField; re: RegExp }[] = [
  // Norwegian (bokmål/nynorsk) and English wordings of "the right/new X is …".
  { field: 'phone', re: new RegExp(String.raw`(?:riktig|korrekt|rett|nytt?|ny)\s+(?:mobil(?:nummer)?|telefon(?:nummer)?|tlf\.?|nummer)\s*(?:er|:|skal være|skal vere)?\s*${PHONE}`, 'iu') },
  { field: 'phone', re: new RegExp(String.raw`(?:mobil(?:nummeret)?|telefon(?:nummeret)?|nummeret)\s+(?:mitt\s+)?(?:er\s+(?:nå|no|endret til|endra til)|skal være|skal vere|er)\s*${PHONE}`, 'iu') },
  { field: 'phone', re: new RegExp(String.raw`(?:correct|right|new|updated)\s+(?:mobile\s+|phone\s+|telephone\s+)?(?:number|phone|mobile)\s*(?:is|:|should be)?\s*${PHONE}`, 'iu') },
  { field: 'email', re: new RegExp(String.raw`(?:ny|riktig|korrekt|new|correct|updated)\s+(?:e-?post(?:adresse)?|e-?mail(?:\s+address)?)\s*(?:er|is|:|skal være|should be)?\s*${EMAIL}`, 'iu') },
  { field: 'name', re: new RegExp(String.raw`(?:[Nn]avnet mitt er|[Mm]itt navn er|[Nn]amnet mitt er|[Rr]iktig navn er|[Mm]y name is|[Cc]orrect name is|[Mm]y (?:new )?name should be)\s*(?:nå |now )?\s*${NAME}`, 'u') },
  { field: 'name', re: new RegExp(String.raw`(?:(?:har|heiter|heter) (?:nå|no) (?:skiftet|bytta|byttet) navn til|changed my name to)\s*${NAME}`, 'iu') },
  { field: 'title', re: new RegExp(String.raw`(?:ny|riktig)\s+(?:stilling|tittel)\s*(?:er|:)\s*${TITLE}`, 'iu') },
  { field: 'title', re: new RegExp(String.raw`(?:new|correct)\s+(?:job\s+)?title\s*(?:is|:)\s*${TITLE}`, 'iu') },
];

/** Pure: the changes a request asks for, at most one per field (the first wording found). */
export function extractRequestedChanges(text: string): RequestedChange[] {
  const out: RequestedChange[] = [];
  for (const rule of RULES) {
    if (out.some((c) => c.field === rule.field)) continue;
    const m = rule.re.exec(text);
    if (!m) continue;
    const value = m[1]!.trim().replace(/\s+/g, ' ');
    out.push({ field: rule.field, value, evidence: m[0].slice(0, 120) });
  }
  return out;
}

/** What staff see in Slack: the field and a masked value, never the full new value. */
export function describeChange(c: RequestedChange): string {
  const masked = c.field === 'phone' ? `a number ending ${c.value.replace(/\D/g, '').slice(-3)}` : c.field === 'email' ? `an address at ${c.value.split('@')[1]}` : `a new ${c.field} (${c.value.length} characters)`;
  return `${c.field} → ${masked}`;
}

export interface AppliedChange {
  field: RectifiableField;
  systems: { table: string; rows: number }[];
  manual?: string;
}

/** Applies approved changes inside `em`'s transaction; says where each landed. */
export async function applyChanges(em: EntityManager, keys: SubjectKeys, changes: RequestedChange[]): Promise<AppliedChange[]> {
  const out: AppliedChange[] = [];
  for (const c of changes) {
    if (c.field === 'email') {
      out.push({ field: c.field, systems: [], manual: 'a new address is changed by staff after its owner confirms it' });
      continue;
    }
    // A new address must be confirmed by its owner (above); the other fields change in every system holding them.
    out.push({ field: c.field, systems: await updatePersonField(em, keys, c.field, c.value) });
  }
  return out;
}
