/**
 * Overlapping keyword matches across queues. A longer phrase tells what its words mean in this
 * mail, so a shorter term of another queue that matches only through those same words is not
 * evidence for that queue: "Kan jeg bestille et servicebesøk?" is a support booking (support's
 * "bestille .. servicebesøk"), not an order (sales' "bestille").
 *
 *  - A match consumes the positions of its term's words; the words a ` .. ` gap skips are not
 *    consumed (in "bestille en ny varmepumpe og et servicebesøk", "ny varmepumpe" is free).
 *  - Each occurrence of a match of a rule with a positive weight claims its positions for its
 *    queue, with its length in words.
 *  - A position belongs to the queue(s) of the longest matches that claim it. An occurrence is
 *    outweighed when each of its positions belongs to other queues, through matches with more
 *    words than it has (one longer phrase, or several). Sharing only some of its words is
 *    not enough: in "hvor mye koster en reparasjon", sales' "hvor mye .. koster" does not
 *    outweigh support's "koste .. reparasjon*", whose "reparasjon" it leaves alone.
 *  - A match is outweighed when all of its occurrences are; said elsewhere in the text, outside
 *    the phrase, it still counts. An outweighed occurrence claims nothing itself.
 *  - Same length, or same queue: both stand. A tie says nothing about which meaning is meant,
 *    and a queue's own rules adding up is how its evidence is weighed (README: Scoring).
 *  - Rules with a weight of 0 or less neither claim nor are outweighed: they say what a mail is
 *    not, and discounting them would add evidence.
 *  - Privacy evidence is never outweighed (it still claims): a missed privacy request is a legal
 *    failure, so "feil telefonnummer" in a rectification may take words from support, never
 *    the other way round.
 *
 * Cost: positions are only worked out when some match of two or more words stands in the text,
 * and then only for matches that could claim or be claimed.
 */
import type { CompiledTerm, TextIndex } from './terms.ts';

/** Queues whose evidence no other queue's phrase discounts. */
const NEVER_OUTWEIGHED = new Set(['privacy']);

export interface OverlapCandidate {
  queue: string;
  weight: number;
  term: Pick<CompiledTerm, 'parts' | 'words'>;
}

/**
 * For each match of one text (each given because its term matches `index`), the longer match
 * of another queue that outweighs it, or undefined when it stands.
 */
export function outweighedBy<M extends OverlapCandidate>(index: TextIndex, matches: readonly M[]): Array<M | undefined> {
  const out = new Array<M | undefined>(matches.length);
  // Per queue, the most and the fewest words of its matches that may claim. A match can only
  // lose to another queue's longer match, and a phrase only needs its positions worked out if
  // another queue has a shorter match; mail without such a pair costs this loop and no more.
  const longest = new Map<string, number>();
  const shortest = new Map<string, number>();
  for (const m of matches) {
    if (m.weight <= 0) continue;
    const words = m.term.words.length;
    if (words > (longest.get(m.queue) ?? 0)) longest.set(m.queue, words);
    if (words < (shortest.get(m.queue) ?? Infinity)) shortest.set(m.queue, words);
  }
  const mayLose = (m: M) => {
    for (const [queue, n] of longest) if (queue !== m.queue && n > m.term.words.length) return true;
    return false;
  };
  const mayWin = (m: M) => {
    for (const [queue, n] of shortest) if (queue !== m.queue && n < m.term.words.length) return true;
    return false;
  };
  const order: number[] = [];
  matches.forEach((m, i) => {
    if (m.weight > 0 && (mayLose(m) || mayWin(m))) order.push(i);
  });
  if (order.length === 0) return out;
  const lengthOf = (i: number) => matches[i]!.term.words.length;
  // Longest first: a match can only be outweighed by claims already made.
  order.sort((a, b) => lengthOf(b) - lengthOf(a));
  /** Position → the longest matches (indexes, all of one length) that claim it. */
  const owners = new Map<number, number[]>();

  for (const i of order) {
    const m = matches[i]!;
    const words = m.term.words.length;
    /** A longer match of another queue that owns position p, unless m's own queue owns it too. */
    const rivalAt = (p: number): number | undefined => {
      if (NEVER_OUTWEIGHED.has(m.queue)) return undefined;
      const list = owners.get(p);
      if (!list || lengthOf(list[0]!) <= words || list.some((c) => matches[c]!.queue === m.queue)) return undefined;
      return list[0];
    };
    let by: number | undefined;
    const standing = index.occurrences(m.term).filter((positions) => {
      let first: number | undefined;
      for (const p of positions) {
        const j = rivalAt(p);
        if (j === undefined) return true;
        first ??= j;
      }
      by ??= first;
      return false;
    });
    if (standing.length === 0 && by !== undefined) {
      out[i] = matches[by];
      continue;
    }
    if (words < 2 || !mayWin(m)) continue;
    for (const positions of standing) {
      for (const p of positions) {
        const list = owners.get(p);
        if (!list) owners.set(p, [i]);
        else if (lengthOf(list[0]!) === words) list.push(i);
        // Longer matches came first: a shorter one does not own what they own.
      }
    }
  }
  return out;
}
