/**
 * Separates what the sender wrote now from the history they quoted and from their
 * signature, so a ticket shows each message's new text once. The raw message is stored
 * whole elsewhere; this only decides presentation and what keyword rules look at.
 *
 * Bias: when unsure, text stays in `newText`. Showing a bit of history twice is a
 * nuisance; hiding a customer's sentence from staff is a defect.
 */

export interface SplitReply {
  newText: string;
  quoted: string;
  signature: string;
}

// Attribution lines that introduce quoted history. Each requires something a person
// would not write in ordinary prose at the end of a line (a date, an address, '<').
const ATTRIBUTION: RegExp[] = [
  /^\s*On\s.{4,300}\bwrote:\s*$/i,
  /^\s*(Den\s)?.{0,300}\bskre(v|iv)\b.{0,300}:\s*$/i,
  /^\s*Am\s.{4,300}\bschrieb\b.{0,200}:\s*$/i,
  /^\s*Le\s.{4,300}\ba écrit\s*:\s*$/i,
];
const ATTRIBUTION_NEEDS = /\d|@|</;

const SEPARATORS: RegExp[] = [
  /^\s*-{2,}\s*(Original Message|Opprinnelig melding|Originalmelding|Opphavleg melding|Forwarded message|Videresendt melding|Vidaresendt melding)\s*-{2,}\s*$/i,
  /^\s*(Begin forwarded message|Start på videresendt melding|Start of forwarded message)\s*:\s*$/i,
];

// Outlook puts no '>' before history, only a header block: From/Fra then Sent/Sendt.
const OUTLOOK_FROM = /^\s*\*?(From|Fra|Frå)\s*:\*?\s*\S/i;
const OUTLOOK_NEXT = /^\s*\*?(Sent|Sendt|Date|Dato|To|Til|Subject|Emne|Cc|Kopi)\s*:\*?/i;
const UNDERSCORES = /^\s*_{8,}\s*$/;

const SIG_DELIMITER = /^-- ?$/;
const SIGN_OFF =
  /^\s*(med vennlig hilsen|vennlig hilsen|vennleg helsing|venleg helsing|beste hilsen|beste helsing|mvh\.?|m\.v\.h\.?|hilsen|helsing|best regards|kind regards|warm regards|regards|best wishes|cheers|yours sincerely|sincerely)\b[\s,.!:]*([\p{L} .,'&-]{0,40})$/iu;
const DEVICE_LINE =
  /^\s*(sent from my (iphone|ipad|android|mobile|samsung|galaxy|phone)|sendt fra min (iphone|ipad|android|mobil|samsung)|send frå (min|mi) (iphone|ipad|mobil)|sent from outlook|get outlook for (ios|android)|hent outlook for (ios|android)|sendt fra outlook)\b.*$/i;

/** How far from the end a sign-off may stand and still be read as the signature. */
const MAX_SIGNATURE_LINES = 10;

function isQuoteLine(line: string): boolean {
  return /^\s*>/.test(line);
}

/** Attribution lines are short; the bound also keeps the regexes cheap on huge lines. */
const MAX_ATTRIBUTION_LENGTH = 400;

function isAttribution(lines: string[], i: number): number {
  // Clients wrap long attribution lines; try the line alone, then joined with the next.
  const one = lines[i];
  if (one.length > MAX_ATTRIBUTION_LENGTH || one.trim() === '') return 0;
  const candidates: Array<[string, number]> = [[one, 1]];
  if (i + 1 < lines.length && lines[i + 1].trim() !== '') candidates.push([`${one} ${lines[i + 1].trim()}`, 2]);
  for (const [text, span] of candidates) {
    if (text.length > MAX_ATTRIBUTION_LENGTH * 2) continue;
    if (ATTRIBUTION.some((r) => r.test(text)) && ATTRIBUTION_NEEDS.test(text)) return span;
  }
  return 0;
}

function isOutlookBlock(lines: string[], i: number): boolean {
  if (!OUTLOOK_FROM.test(lines[i])) return false;
  let seen = 0;
  for (let j = i + 1; j < Math.min(lines.length, i + 6); j++) {
    if (OUTLOOK_NEXT.test(lines[j])) seen++;
  }
  return seen >= 2;
}

/** The lines of `idx` without blank lines at either end. */
function trimBlock(lines: string[], idx: number[]): number[] {
  let s = 0;
  let e = idx.length;
  while (s < e && lines[idx[s]].trim() === '') s++;
  while (e > s && lines[idx[e - 1]].trim() === '') e--;
  return idx.slice(s, e);
}

/** Finds where history that runs to the end of the message starts; -1 when none. */
function historyStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    if (SEPARATORS.some((r) => r.test(lines[i]))) return i;
    if (UNDERSCORES.test(lines[i]) && i + 1 < lines.length && isOutlookBlock(lines, i + 1)) return i;
    if (isOutlookBlock(lines, i)) return i;
    const span = isAttribution(lines, i);
    if (span) {
      // "On … wrote:" followed by '>' lines may be a bottom-posted or interleaved reply;
      // that case is handled line by line. Without '>' lines the rest is history.
      const next = lines.slice(i + span).find((l) => l.trim() !== '');
      if (next === undefined || !isQuoteLine(next)) return i;
    }
  }
  return -1;
}

/** Splits the sender's own lines (`fresh`, indexes into `lines`) into body and signature. */
function splitSignature(lines: string[], fresh: number[]): { body: number[]; signature: number[] } {
  let end = fresh.length;
  while (end > 0 && lines[fresh[end - 1]].trim() === '') end--;
  // The standard delimiter wins wherever it is: the sender marked it explicitly.
  for (let i = end - 1; i >= 0; i--) {
    if (SIG_DELIMITER.test(lines[fresh[i]])) return { body: fresh.slice(0, i), signature: fresh.slice(i + 1, end) };
  }
  for (let i = 0; i < end; i++) {
    const remaining = end - i - 1;
    if (remaining > MAX_SIGNATURE_LINES) continue;
    const line = lines[fresh[i]];
    if (DEVICE_LINE.test(line)) return { body: fresh.slice(0, i), signature: fresh.slice(i, end) };
    if (!SIGN_OFF.test(line)) continue;
    // A sign-off must start a paragraph-ish tail: everything after it short (name,
    // title, phone), otherwise it is a sentence that happens to start with "Hilsen".
    const tail = fresh.slice(i + 1, end);
    if (tail.every((l) => lines[l].trim().length <= 80) && i > 0) {
      return { body: fresh.slice(0, i), signature: fresh.slice(i, end) };
    }
  }
  return { body: fresh.slice(0, end), signature: [] };
}

/** Lines of a text as splitReply numbers them: CRLF and CR count as one line break. */
function bodyLines(text: string): string[] {
  return (text ?? '').replace(/\r\n?/g, '\n').split('\n');
}

/** Half-open ranges [from, to) of line numbers (see bodyLines). */
export type LineRanges = Array<[number, number]>;

/**
 * Which lines of a text are new, quoted and signature: what splitReply returns, as line
 * ranges, so a stored message can keep its text once and its split beside it.
 */
export interface BodySplit {
  new: LineRanges;
  quoted: LineRanges;
  signature: LineRanges;
}

export function splitReply(text: string): SplitReply {
  return splitReplyWithLines(text).parts;
}

/** splitReply's answer as line ranges of `text`; bodyPart turns a part back into text. */
export function splitReplyLines(text: string): BodySplit {
  return splitReplyWithLines(text).lines;
}

/** Both at once, for a caller that reads the parts and stores the ranges. */
export function splitReplyWithLines(text: string): { parts: SplitReply; lines: BodySplit } {
  const lines = bodyLines(text);
  const idx = splitLineNumbers(lines);
  const join = (part: number[]) => part.map((i) => lines[i]).join('\n');
  return {
    parts: { newText: join(idx.newText), quoted: join(idx.quoted), signature: join(idx.signature) },
    lines: { new: toRanges(idx.newText), quoted: toRanges(idx.quoted), signature: toRanges(idx.signature) },
  };
}

/** The text of one part of a BodySplit (the same as splitReply's). */
export function bodyPart(text: string, ranges: LineRanges): string {
  const lines = bodyLines(text);
  return ranges.flatMap(([from, to]) => lines.slice(from, to)).join('\n');
}

function toRanges(idx: number[]): LineRanges {
  const out: LineRanges = [];
  for (const i of idx) {
    const last = out[out.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}

function splitLineNumbers(lines: string[]): { newText: number[]; quoted: number[]; signature: number[] } {
  const start = historyStart(lines);
  const headEnd = start >= 0 ? start : lines.length;
  const head = lines.slice(0, headEnd);

  // Within the part before the history, '>' lines (and the attribution right above a
  // run of them) are quotes; every other line is the sender's and is kept in order,
  // which preserves interleaved answers.
  const fresh: number[] = [];
  const quoted: number[] = [];
  for (let i = 0; i < headEnd; i++) {
    const span = isAttribution(head, i);
    if (span) {
      const next = head.slice(i + span).find((l) => l.trim() !== '');
      if (next !== undefined && isQuoteLine(next)) {
        for (let k = i; k < i + span; k++) quoted.push(k);
        i += span - 1;
        continue;
      }
    }
    if (isQuoteLine(head[i])) quoted.push(i);
    else fresh.push(i);
  }
  for (let k = headEnd; k < lines.length; k++) quoted.push(k);

  const { body, signature } = splitSignature(lines, fresh);
  return {
    newText: trimBlock(lines, body),
    quoted: trimBlock(lines, quoted),
    signature: trimBlock(lines, signature),
  };
}
