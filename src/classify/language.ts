/**
 * Language of a message: Norwegian bokmål ('nb'), nynorsk ('nn') or English ('en').
 *
 * franc's trigram model is good at "Norwegian vs English" but poor at "bokmål vs
 * nynorsk" on the few lines a customer email holds, and unreliable on very short text.
 * So franc (restricted to nob/nno/eng) is one vote, and small lists of function words
 * that differ between the written standards are the others. Anything Norwegian that is
 * not clearly nynorsk is bokmål: it is what most of our customers write, and a bokmål
 * reply to a nynorsk writer is acceptable, the reverse is odd.
 */
import { francAll } from 'franc';

export type Language = 'nb' | 'nn' | 'en';

// Words that only (or almost only) occur in one standard. Deliberately excluded:
// 'i', 'for', 'to', 'at', 'under', 'med', 'skal', 'meg', 'får' — shared by Norwegian and
// English or by both standards, so they are no evidence either way.
const NYNORSK = new Set([
  'ikkje', 'eg', 'kva', 'korleis', 'kvifor', 'kven', 'kvar', 'berre', 'frå', 'sjå', 'vore',
  'dykk', 'dykkar', 'me', 'eit', 'ein', 'noko', 'nokon', 'mykje', 'heime', 'høyrer',
  'venleg', 'helsing', 'fekk', 'gjekk', 'vart', 'òg', 'verkar', 'ho', 'dei', 'deira',
  'sidan', 'fleire', 'ynskjer', 'ønskjer', 'treng', 'skriv', 'korkje', 'nokre',
  'mi', 'hjå', 'kjem', 'kome', 'sjølv', 'heile', 'vere', 'gjere', 'gong', 'gonger', 'veke',
  'veka', 'seier', 'heiter', 'lukke', 'ver', 'stadfest', 'nyheitsbrev', 'nyheitsbrevet',
  'nyheitsbreva', 'skule', 'leilegheit', 'tilbod', 'kostar', 'fungerar', 'verkar', 'brukar',
]);
const BOKMAL = new Set([
  'ikke', 'jeg', 'hva', 'hvordan', 'hvorfor', 'hvem', 'hvor', 'bare', 'fra', 'se', 'dere',
  'deres', 'et', 'noe', 'noen', 'mye', 'hjemme', 'hun', 'hvis', 'vennlig', 'hilsen',
  'fikk', 'gikk', 'ble', 'også', 'virker', 'siden', 'flere', 'ønsker', 'trenger', 'mvh',
]);
const ENGLISH = new Set([
  'the', 'and', 'is', 'are', 'was', 'were', 'you', 'your', 'we', 'our', 'of', 'this',
  'that', 'with', 'have', 'has', 'not', 'please', 'thanks', 'thank', 'hello', 'regards',
  'would', 'could', 'should', 'can', 'cannot', "can't", "don't", "doesn't", 'does', 'my',
  'me', 'it', 'after', 'from', 'will', 'what', 'how', 'why', 'dear', 'request', 'about',
  'they', 'been', 'there', 'which', 'any', 'all', 'no', 'yes', 'us', 'be', 'an', 'a',
  'never', 'up', 'out', 'off', 'but', 'or', 'if', 'when', 'our', 'these', 'those', 'again',
  'already', 'because', 'did', 'get', 'got',
]);
// Words that are English markers but also ordinary Norwegian/nynorsk words; a
// Norwegian text must not score English points for them.
const ENGLISH_SHARED_WITH_NORWEGIAN = new Set(['me', 'no', 'a', 'all', 'be', 'is', 'an']);

const NORWEGIAN_LETTERS = /[æøå]/i;

export interface LanguageEvidence {
  language: Language;
  /** franc's best guess, or 'not needed' when the word counts alone decide. */
  franc: string;
  nynorsk: number;
  bokmal: number;
  english: number;
  words: number;
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}']+/gu) ?? [];
}

/** Lines quoted from earlier mail say nothing about the language the writer uses now. */
function withoutQuotes(text: string): string {
  return text
    .split(/\r?\n/)
    .filter((l) => !/^\s*>/.test(l))
    .join('\n');
}

/** More text than this says nothing new about the language, and franc's cost grows with it. */
const SAMPLE_CHARS = 2_000;

export function explainLanguage(input: string): LanguageEvidence {
  const text = withoutQuotes((input ?? '').slice(0, SAMPLE_CHARS * 2)).slice(0, SAMPLE_CHARS);
  const ws = words(text);
  let nynorsk = 0;
  let bokmal = 0;
  let english = 0;
  let englishShared = 0;
  for (const w of ws) {
    if (NYNORSK.has(w)) nynorsk++;
    if (BOKMAL.has(w)) bokmal++;
    if (ENGLISH.has(w)) {
      if (ENGLISH_SHARED_WITH_NORWEGIAN.has(w)) englishShared++;
      else english++;
    }
  }
  const counts = { nynorsk, bokmal, english, englishShared, norwegianLetters: NORWEGIAN_LETTERS.test(text) };
  // franc only tips close calls, and it costs more than everything else here together:
  // when every answer it could give leads to the same language, it is not asked.
  const outcomes = new Set((['nob', 'nno', 'eng', 'und'] as const).map((f) => decide(counts, f)));
  const franc = outcomes.size === 1 ? 'not needed' : (francAll(text, { only: ['nob', 'nno', 'eng'], minLength: 10 })[0]?.[0] ?? 'und');
  const language = outcomes.size === 1 ? [...outcomes][0]! : decide(counts, franc);
  return { language, franc, nynorsk, bokmal, english, words: ws.length };
}

interface WordCounts {
  nynorsk: number;
  bokmal: number;
  english: number;
  englishShared: number;
  norwegianLetters: boolean;
}

function decide(c: WordCounts, franc: string): Language {
  const norwegianEvidence = c.nynorsk + c.bokmal + (c.norwegianLetters ? 2 : 0) + (franc === 'nob' || franc === 'nno' ? 1.5 : 0);
  const englishEvidence = c.english + (c.english > 0 ? c.englishShared * 0.5 : 0) + (franc === 'eng' ? 1.5 : 0);
  // One English word ("Thanks!") is enough only when nothing at all looks Norwegian.
  const clearlyEnglish = englishEvidence > norwegianEvidence && (englishEvidence >= 2 || (norwegianEvidence === 0 && c.english >= 1));
  if (clearlyEnglish) return 'en';
  if (c.nynorsk > c.bokmal && (c.nynorsk >= 2 || (c.nynorsk >= 1 && franc === 'nno'))) return 'nn';
  return 'nb';
}

export function detectLanguage(text: string): Language {
  return explainLanguage(text).language;
}
