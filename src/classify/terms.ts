/**
 * Term syntax of keyword rules, and the index of a text that terms are matched against.
 *
 * A term is words, matched on whole words and case-insensitively:
 *   - a plain word matches every form with the same stem (Snowball's Norwegian stemmer for
 *     `nb`/`nn` terms, its English one for `en` terms): "hjelpe" matches hjelp, hjelper;
 *     "svarer" matches svarar; "rette" matches retta, rettet. Stems apply in a text of the
 *     term's own language (see TextIndex); elsewhere, and for `all` terms, exact words;
 *   - `*` at a word's end matches any ending ("slett*" → slette, sletting, slettet);
 *   - words in a row must stand in a row in one sentence of the text (line breaks and other
 *     punctuation between them do not count: "art. 15" matches "art 15" and "Art.\n15");
 *   - ` .. ` between words allows up to GAP_WORDS words in between, within one sentence
 *     ("slett* .. om meg" → "slett all informasjon dere har lagret om meg").
 * Kept smaller than regular expressions so that staff can edit the YAML.
 *
 * The stemmers come from @orama/stemmers (Snowball's algorithms): people write hjelp,
 * hjelpe, hjelper, fungerer, fungerar, and a list of exact forms only ever knows the ones its
 * author thought of.
 */
import { stemmer as norwegianStemmer } from '@orama/stemmers/norwegian';
import { stemmer as englishStemmer } from '@orama/stemmers/english';

/** Which stemmer a term's words go through: Norwegian (nb, nn), English, or none (exact). */
export type TermLanguage = 'no' | 'en' | 'exact';

const BOTH: ReadonlySet<TermLanguage> = new Set(['no', 'en']);

/** Words a ` .. ` gap may skip. */
export const GAP_WORDS = 6;

export interface TermWord {
  /** Lower-cased, without the `*`. */
  text: string;
  /** `*`: the text word only has to start with `text`. */
  prefix: boolean;
  /**
   * Set when the word matches by stem (plain words of nb/nn/en terms): a text word matches when
   * its stem is one of these, the term word's own stem or the term word itself. Snowball takes
   * one suffix off: "telefonnummer" → "telefonnumm" but "telefonnummeret" → "telefonnummer".
   */
  stems?: string[];
  language: TermLanguage;
}

export interface CompiledTerm {
  term: string;
  /** Runs of words that must stand in a row; consecutive runs may have a gap between them. */
  parts: TermWord[][];
  /** Every word of the term (what a text must hold for the term to match at all). */
  words: TermWord[];
  /** Convenience for one-off matches (contact-form subjects, tests): builds an index of `text`. */
  test(text: string): boolean;
}

// ---------------------------------------------------------------------------------------
// Stems, cached: the same few thousand words come back in every mail.
// ---------------------------------------------------------------------------------------
const STEM_CACHE_LIMIT = 50_000;
const stemCaches: Record<'no' | 'en', Map<string, string>> = { no: new Map(), en: new Map() };
const stemmers: Record<'no' | 'en', (w: string) => string> = { no: norwegianStemmer, en: englishStemmer };

export function stemOf(word: string, language: 'no' | 'en'): string {
  const cache = stemCaches[language];
  let stem = cache.get(word);
  if (stem === undefined) {
    stem = stemmers[language](word);
    if (cache.size >= STEM_CACHE_LIMIT) cache.clear();
    cache.set(word, stem);
  }
  return stem;
}

// ---------------------------------------------------------------------------------------
// Words of a text
// ---------------------------------------------------------------------------------------
const WORD_CHARACTER = /^[\p{L}\p{N}]$/u;
/** Per UTF-16 code unit (surrogates aside): 1 a letter or digit, 2 not, 0 not asked yet. */
const wordUnit = new Int8Array(0x10000);

/** Whether the code point starting at `i` is a letter or digit; a BMP character is looked up once. */
function isWordAt(text: string, unit: number, i: number): boolean {
  if (unit >= 0xd800 && unit <= 0xdfff) return WORD_CHARACTER.test(String.fromCodePoint(text.codePointAt(i)!));
  let known = wordUnit[unit]!;
  if (known === 0) known = wordUnit[unit] = WORD_CHARACTER.test(String.fromCharCode(unit)) ? 1 : 2;
  return known === 1;
}

/** Reused by every TextIndex while it reads its text (one at a time: JavaScript is single-threaded). */
const scratch = { tokens: new Int32Array(4096), sentences: new Int32Array(4096) };
function growScratch(): void {
  const tokens = new Int32Array(scratch.tokens.length * 2);
  const sentences = new Int32Array(scratch.sentences.length * 2);
  tokens.set(scratch.tokens);
  sentences.set(scratch.sentences);
  scratch.tokens = tokens;
  scratch.sentences = sentences;
}

/**
 * The words of a text, in order, with where each stands, so terms can be matched against it:
 * exact words and prefixes by lookup, stems by lookup once a stemmer has been asked for
 * (each distinct word is stemmed once, and only for the languages some term needs). Words
 * are numbered as they first appear, and the text is kept as those numbers: a long log paste
 * costs a map lookup a word, and where a word stands is only worked out for a term that needs it.
 */
export class TextIndex {
  /** Distinct words, by number. */
  private readonly distinct: string[] = [];
  private readonly ids = new Map<string, number>();
  /** The text as word numbers, and the sentence each stands in. */
  private readonly tokens: Int32Array;
  private readonly sentences: Int32Array;
  private readonly length: number;
  private readonly positions: Array<number[] | undefined> = [];
  private sorted?: string[];
  private readonly stemIds: Partial<Record<'no' | 'en', Map<string, number[]>>> = {};
  private readonly stemLanguages: ReadonlySet<TermLanguage>;

  /**
   * `stemLanguages`: the languages whose terms match by stem here (the text's own); terms of
   * other languages match their exact words only. Stems cross languages badly: English
   * "stored" and Norwegian "store" (big) share the stem "store".
   */
  constructor(text: string, stemLanguages: ReadonlySet<TermLanguage> = BOTH) {
    this.stemLanguages = stemLanguages;
    // One pass over the characters (a Unicode split cost half of classifying a long message):
    // runs of letters and digits, as `[\p{L}\p{N}]+` finds them, lower-cased. `.`, `!` or `?`
    // followed by white space end a sentence unless a number follows ("art. 15"), and so does
    // an empty line. Case-insensitive matching folds a few characters toLowerCase leaves
    // alone; of those only the long s (ſ) folds to a letter a term can hold.
    const lower = text.toLowerCase().replace(/ſ/g, 's');
    let n = 0;
    let start = -1;
    let sentence = 0;
    let stop = false; // the last non-space character was . ! or ?
    let pending = false; // ...and white space followed it
    let newlines = 0;
    const word = (end: number) => {
      const w = lower.slice(start, end);
      let id = this.ids.get(w);
      if (id === undefined) {
        id = this.distinct.push(w) - 1;
        this.ids.set(w, id);
      }
      if (n === scratch.tokens.length) growScratch();
      scratch.tokens[n] = id;
      scratch.sentences[n++] = sentence;
      start = -1;
    };
    for (let i = 0; i < lower.length; i++) {
      const unit = lower.charCodeAt(i);
      const known = wordUnit[unit];
      if (known === 1 || (known !== 2 && isWordAt(lower, unit, i))) {
        if (start < 0) {
          start = i;
          if (newlines >= 2 || (pending && !(unit >= 0x30 && unit <= 0x39))) sentence++;
          newlines = 0;
          pending = false;
        }
        stop = false;
      } else {
        if (start >= 0) word(i);
        if (unit === 0x2e || unit === 0x21 || unit === 0x3f) stop = true;
        else if (unit === 0x20 || unit === 0x09 || unit === 0x0d || unit === 0x0a) {
          if (unit === 0x0a) newlines++;
          if (stop) pending = true;
        } else stop = pending = false;
      }
      // The second half of a surrogate pair belongs to the character just looked at.
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < lower.length && (lower.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    }
    if (start >= 0) word(lower.length);
    this.tokens = scratch.tokens.slice(0, n);
    this.sentences = scratch.sentences.slice(0, n);
    this.length = n;
  }

  /** How many distinct words the text has. */
  get size(): number {
    return this.distinct.length;
  }

  /** The distinct words of the text. */
  words(): readonly string[] {
    return this.distinct;
  }

  /**
   * The distinct pairs of words that stand next to each other in one sentence, in order
   * ("vil kjøpe", "varmepumpa vår"): what a word means depends on its neighbour, and the
   * intent model reads these beside the words.
   */
  pairs(): Array<[string, string]> {
    const seen = new Set<number>();
    const out: Array<[string, string]> = [];
    const n = this.distinct.length;
    for (let i = 0; i + 1 < this.length; i++) {
      if (this.sentences[i] !== this.sentences[i + 1]) continue;
      const key = this.tokens[i]! * n + this.tokens[i + 1]!;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push([this.distinct[this.tokens[i]!]!, this.distinct[this.tokens[i + 1]!]!]);
    }
    return out;
  }

  /** The distinct stems of the text's words in `language`, when its terms match by stem here. */
  stems(language: 'no' | 'en'): IterableIterator<string> | undefined {
    return this.stemLanguages.has(language) ? this.byStem(language).keys() : undefined;
  }

  /** Word numbers by stem. */
  private byStem(language: 'no' | 'en'): Map<string, number[]> {
    let map = this.stemIds[language];
    if (!map) {
      map = new Map();
      this.distinct.forEach((word, id) => {
        const stem = stemOf(word, language);
        const list = map!.get(stem);
        if (list) list.push(id);
        else map!.set(stem, [id]);
      });
      this.stemIds[language] = map;
    }
    return map;
  }

  /** Where the word with this number stands (worked out on first use). */
  private positionsOf(id: number): number[] {
    let list = this.positions[id];
    if (!list) {
      list = [];
      for (let i = 0; i < this.length; i++) if (this.tokens[i] === id) list.push(i);
      this.positions[id] = list;
    }
    return list;
  }

  private wordsStartingWith(prefix: string): string[] {
    // Sorted only when a prefix is asked for.
    const sorted = (this.sorted ??= [...this.distinct].sort());
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < sorted.length && sorted[i]!.startsWith(prefix); i++) out.push(sorted[i]!);
    return out;
  }

  /** The stemmer a word matches through here, if any. */
  private stemmerFor(word: Partial<TermWord>): 'no' | 'en' | undefined {
    const language = word.language;
    return word.stems && (language === 'no' || language === 'en') && this.stemLanguages.has(language) ? language : undefined;
  }

  /** Whether some word of the text matches `word` (exact, prefix or stem). */
  has(word: Pick<TermWord, 'text' | 'prefix'> & Partial<TermWord>): boolean {
    if (word.prefix) return this.wordsStartingWith(word.text).length > 0;
    if (this.ids.has(word.text)) return true;
    const stemmer = this.stemmerFor(word);
    return !!stemmer && word.stems!.some((stem) => this.byStem(stemmer).has(stem));
  }

  private matchesAt(i: number, word: TermWord): boolean {
    if (i >= this.length) return false;
    const token = this.distinct[this.tokens[i]!]!;
    if (word.prefix) return token.startsWith(word.text);
    if (token === word.text) return true;
    const stemmer = this.stemmerFor(word);
    return !!stemmer && word.stems!.includes(stemOf(token, stemmer));
  }

  /** Where `word` may stand (a position listed twice is merely tried twice). */
  private starts(word: TermWord): number[] {
    if (word.prefix) return this.wordsStartingWith(word.text).flatMap((w) => this.positionsOf(this.ids.get(w)!));
    const stemmer = this.stemmerFor(word);
    const ids = stemmer ? word.stems!.flatMap((stem) => this.byStem(stemmer).get(stem) ?? []) : [this.ids.get(word.text)].filter((id) => id !== undefined);
    return ids.length === 1 ? this.positionsOf(ids[0]!) : ids.flatMap((id) => this.positionsOf(id));
  }

  /** Whether the words of `part` stand in a row, in one sentence, from `from` on. */
  private partAt(part: TermWord[], from: number): boolean {
    for (let k = 0; k < part.length; k++) {
      if (!this.matchesAt(from + k, part[k]!)) return false;
      if (k > 0 && this.sentences[from + k] !== this.sentences[from]) return false;
    }
    return true;
  }

  /** Whether the term occurs in the text. */
  matches(term: Pick<CompiledTerm, 'parts' | 'words'>): boolean {
    for (const w of term.words) if (!this.has(w)) return false;
    const [first, ...rest] = term.parts;
    if (!first) return false;
    // One word: being there is enough, wherever it stands.
    if (term.words.length === 1) return true;
    // Where the first word stands (a start listed twice is merely tried twice).
    return this.starts(first[0]!).some((s) => this.partAt(first, s) && this.restFrom(rest, s + first.length, this.sentences[s]!));
  }

  /**
   * Where the term occurs: for each place it can start, the positions of the words it
   * consumes (the first way it fits there; the words a ` .. ` gap skips are not consumed).
   */
  occurrences(term: Pick<CompiledTerm, 'parts' | 'words'>): number[][] {
    for (const w of term.words) if (!this.has(w)) return [];
    const [first, ...rest] = term.parts;
    if (!first) return [];
    const out: number[][] = [];
    for (const s of [...new Set(this.starts(first[0]!))].sort((a, b) => a - b)) {
      if (!this.partAt(first, s)) continue;
      const at: number[] = [];
      for (let k = 0; k < first.length; k++) at.push(s + k);
      if (this.restFrom(rest, s + first.length, this.sentences[s]!, at)) out.push(at);
    }
    return out;
  }

  /** Whether the parts fit from `from` on; `at`, when given, collects the positions of their words. */
  private restFrom(parts: TermWord[][], from: number, sentence: number, at?: number[]): boolean {
    const [part, ...rest] = parts;
    if (!part) return true;
    for (let s = from; s <= from + GAP_WORDS && s < this.length; s++) {
      if (this.sentences[s] !== sentence) return false;
      if (!this.partAt(part, s)) continue;
      const mark = at?.length ?? 0;
      for (let k = 0; k < part.length; k++) at?.push(s + k);
      if (this.restFrom(rest, s + part.length, sentence, at)) return true;
      if (at) at.length = mark;
    }
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// Terms
// ---------------------------------------------------------------------------------------
/** A prefix term word is found through its first this-many letters. */
const PREFIX_KEY = 3;

function add(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list) list.push(i);
  else map.set(key, [i]);
}

/**
 * Many terms, looked up by one anchor word each (the longest whole word: the rarest; else the
 * longest prefix, by its first three letters), so a text is only matched against the few terms
 * whose anchor it holds; a term of only prefixes shorter than three letters is always tried.
 * Thousands of shipped terms cost about what a text's words cost.
 */
export class TermSet {
  private readonly exact = new Map<string, number[]>();
  private readonly prefixes = new Map<string, number[]>();
  private readonly byStem = { no: new Map<string, number[]>(), en: new Map<string, number[]>() };
  private readonly always: number[] = [];

  constructor(readonly terms: readonly CompiledTerm[]) {
    this.marked = new Uint32Array(terms.length);
    terms.forEach((term, i) => {
      const whole = term.words.filter((w) => !w.prefix);
      const longest = (words: TermWord[]) => words.reduce((a, b) => (b.text.length > a.text.length ? b : a));
      const anchor = whole.length ? longest(whole) : longest(term.words);
      if (anchor.prefix) {
        if (anchor.text.length < PREFIX_KEY) this.always.push(i);
        else add(this.prefixes, anchor.text.slice(0, PREFIX_KEY), i);
        return;
      }
      // A stemmed word also matches its exact form where stems do not apply.
      add(this.exact, anchor.text, i);
      if (anchor.language === 'no' || anchor.language === 'en') for (const stem of anchor.stems ?? []) add(this.byStem[anchor.language], stem, i);
    });
  }

  /** Which call last marked each term (no clearing, no scan of every term per call). */
  private readonly marked: Uint32Array;
  private generation = 0;

  /** The terms that may match `index`, in the order they were given; only these need matching. */
  candidates(index: TextIndex): number[] {
    const generation = ++this.generation;
    const out: number[] = [];
    const mark = (list: number[] | undefined) => {
      if (!list) return;
      for (const i of list) {
        if (this.marked[i] === generation) continue;
        this.marked[i] = generation;
        out.push(i);
      }
    };
    mark(this.always);
    for (const word of index.words()) {
      mark(this.exact.get(word));
      if (word.length >= PREFIX_KEY) mark(this.prefixes.get(word.slice(0, PREFIX_KEY)));
    }
    for (const language of ['no', 'en'] as const) {
      const stems = index.stems(language);
      if (stems) for (const stem of stems) mark(this.byStem[language].get(stem));
    }
    return out.sort((a, b) => a - b);
  }
}

/**
 * Compiles a term for the stemmer of its language. Throws on a term with no words or a gap
 * with nothing on one side.
 */
export function compileTerm(term: string, language: TermLanguage = 'exact'): CompiledTerm {
  const trimmed = term.trim();
  if (!trimmed) throw new Error('empty term');
  const parts = trimmed.split(/\s+\.\.\s+/).map((part) => {
    if (!part || part === '..' || /^\.\.\s|\s\.\.$/.test(part)) throw new Error(`bad gap in term "${term}"`);
    const words: TermWord[] = [];
    // Words as the text index finds them; a `*` right after a word makes it a prefix.
    for (const m of part.toLowerCase().replace(/ſ/g, 's').matchAll(/([\p{L}\p{N}]+)(\*?)/gu)) {
      const text = m[1]!;
      const prefix = m[2] === '*';
      const word: TermWord = { text, prefix, language };
      if (!prefix && language !== 'exact') word.stems = [...new Set([stemOf(text, language), text])];
      words.push(word);
    }
    if (words.length === 0) throw new Error(`no words in "${part}" of term "${term}"`);
    return words;
  });
  const compiled: CompiledTerm = {
    term: trimmed,
    parts,
    words: parts.flat(),
    test: (text: string) => new TextIndex(text).matches(compiled),
  };
  return compiled;
}
