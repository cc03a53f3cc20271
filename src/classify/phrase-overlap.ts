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
 *
 * Cost: positions are only worked out when some match of two or more words stands in the text,
 * and then only for matches that could claim or be claimed.
 */
import type { CompiledTerm, TextIndex } from './terms.ts';

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
  const out = new Array<M | undefined>(matches.length).fill(undefined);
  const claiming = (m: M) => m.weight > 0;
  if (!matches.some((m) => claiming(m) && m.term.words.length >= 2)) return out;

  // Longest first: a match can only be outweighed by claims already made.
  const order = matches
    .map((_, i) => i)
    .filter((i) => claiming(matches[i]!))
    .sort((a, b) => matches[b]!.term.words.length - matches[a]!.term.words.length);
  /** Position → the longest matches (indexes, all of one length) that claim it. */
  const owners = new Map<number, number[]>();
  /** Queue → the most words of a match claiming positions for it. */
  const longestClaim = new Map<string, number>();
  /** Queue → the fewest words of its matches: a phrase only needs its positions if another queue has shorter matches. */
  const shortest = new Map<string, number>();
  for (const i of order) shortest.set(matches[i]!.queue, matches[i]!.term.words.length);
  const lengthOf = (i: number) => matches[i]!.term.words.length;

  for (const i of order) {
    const m = matches[i]!;
    const words = m.term.words.length;
    const rivals = [...longestClaim].some(([queue, n]) => queue !== m.queue && n > words);
    const victims = words >= 2 && [...shortest].some(([queue, n]) => queue !== m.queue && n < words);
    if (!rivals && !victims) continue;
    /** A longer match of another queue that owns position p, unless m's own queue owns it too. */
    const rivalAt = (p: number): number | undefined => {
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
    if (!victims) continue;
    for (const positions of standing) {
      for (const p of positions) {
        const list = owners.get(p);
        if (!list) owners.set(p, [i]);
        else if (lengthOf(list[0]!) === words) list.push(i);
        // Longer matches came first: a shorter one does not own what they own.
      }
    }
    if (standing.length) longestClaim.set(m.queue, Math.max(longestClaim.get(m.queue) ?? 0, words));
  }
  return out;
}
