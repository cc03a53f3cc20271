import { describe, expect, it } from 'vitest';
import { compileTerm, TextIndex } from '../../src/classify/terms.ts';
import { outweighedBy } from '../../src/classify/phrase-overlap.ts';
import { classifyMessage } from '../../src/classify/classify.ts';
import { defaultRoutingConfig, routingConfigSchema, type KeywordRule } from '../../src/classify/routing-rules.ts';
import type { MessageFacts } from '../../src/classify/message-facts.ts';

/** A match as classify.ts hands it over: queue, weight, and a term compiled for English. */
function m(queue: string, term: string, weight = 2) {
  return { queue, weight, term: compileTerm(term, 'en'), label: `${queue}:${term}` };
}

/** Which matches are outweighed, and by what, as labels. */
function verdicts(text: string, matches: ReturnType<typeof m>[]): Record<string, string | undefined> {
  const index = new TextIndex(text);
  for (const x of matches) expect(index.matches(x.term), x.label).toBe(true);
  const by = outweighedBy(index, matches);
  return Object.fromEntries(matches.map((x, i) => [x.label, by[i]?.label]));
}

describe('TextIndex.occurrences: the positions a term consumes', () => {
  it('lists each place a one-word term stands, by stem', () => {
    const index = new TextIndex('Walls creak; the wall by the stairs creaked too.');
    expect(index.occurrences(compileTerm('creak', 'en'))).toEqual([[1], [7]]);
  });

  it('a gap consumes only the words of the term, not the words it skips', () => {
    const index = new TextIndex('Can we reserve a slot for a chimney inspection soon');
    expect(index.occurrences(compileTerm('reserve .. inspection', 'en'))).toEqual([[2, 8]]);
  });

  it('finds nothing across a sentence end, or when a word is missing', () => {
    const index = new TextIndex('We reserve nothing. Inspection is yours.');
    expect(index.occurrences(compileTerm('reserve .. inspection', 'en'))).toEqual([]);
    expect(index.occurrences(compileTerm('kettle', 'en'))).toEqual([]);
  });
});

describe('outweighedBy: the longer phrase tells what its words mean', () => {
  it("a one-word term of another queue inside a longer phrase is outweighed", () => {
    expect(verdicts('May I reserve a chimney inspection?', [m('upkeep', 'reserve .. inspection'), m('shop', 'reserve')])).toEqual({
      'upkeep:reserve .. inspection': undefined,
      'shop:reserve': 'upkeep:reserve .. inspection',
    });
  });

  it('the same word said again outside the phrase still counts (by stem, too)', () => {
    const v = verdicts('May I reserve a chimney inspection? Our reservation was lost.', [m('upkeep', 'reserve .. inspection'), m('shop', 'reserve')]);
    expect(v['shop:reserve']).toBeUndefined();
  });

  it('the same word said again outside the phrase still counts', () => {
    const v = verdicts('May I reserve a chimney inspection, and reserve two filters?', [m('upkeep', 'reserve .. inspection'), m('shop', 'reserve')]);
    expect(v['shop:reserve']).toBeUndefined();
  });

  it('privacy evidence is never outweighed, though it outweighs others', () => {
    const v = verdicts('Please correct the wrong phone number you hold for me.', [m('support', 'wrong phone number'), m('privacy', 'phone number'), m('privacy', 'correct .. number', 3)]);
    expect(v['privacy:phone number']).toBeUndefined();
    expect(verdicts('Please delete my old account data now.', [m('privacy', 'delete .. account data'), m('support', 'account')])['support:account']).toBe('privacy:delete .. account data');
  });

  it("a queue's own terms over the same words both stand", () => {
    const v = verdicts('The inspection visit was moved twice.', [m('upkeep', 'inspection visit'), m('upkeep', 'inspection')]);
    expect(v).toEqual({ 'upkeep:inspection visit': undefined, 'upkeep:inspection': undefined });
  });

  it('equal length says nothing about which meaning is meant: both stand', () => {
    const v = verdicts('Please quote inspection costs.', [m('upkeep', 'quote inspection'), m('shop', 'inspection costs')]);
    expect(v).toEqual({ 'upkeep:quote inspection': undefined, 'shop:inspection costs': undefined });
  });

  it('a shorter phrase that shares only some of its words stands', () => {
    // "how much .. costs" claims "costs", but "costs .. chimney" also holds "chimney".
    const v = verdicts('How much it costs for the chimney, roughly?', [m('shop', 'how much .. costs'), m('upkeep', 'costs .. chimney')]);
    expect(v['upkeep:costs .. chimney']).toBeUndefined();
  });

  it('several longer phrases together can cover a shorter one', () => {
    const v = verdicts('Book the chimney sweep visit today.', [m('upkeep', 'book the chimney'), m('upkeep', 'sweep visit today'), m('shop', 'chimney sweep')]);
    expect(v['shop:chimney sweep']).toBe('upkeep:book the chimney');
  });

  it('a word belongs to the longest phrase over it: its own queue keeps a shorter term alive', () => {
    // shop's three words own "costs"; upkeep's two-word phrase does not take it from shop's one word.
    const v = verdicts('What does it costs to fix the flue?', [m('shop', 'what does .. costs'), m('upkeep', 'costs .. flue'), m('shop', 'costs')]);
    expect(v['shop:costs']).toBeUndefined();
    expect(v['upkeep:costs .. flue']).toBeUndefined();
  });

  it('a phrase inside a longer phrase of another queue is outweighed too', () => {
    const v = verdicts('We would like to order a new flue liner kit.', [m('shop', 'order a new flue liner'), m('upkeep', 'flue liner'), m('shop', 'liner')]);
    expect(v['upkeep:flue liner']).toBe('shop:order a new flue liner');
    expect(v['shop:liner']).toBeUndefined();
  });

  it('rules with no positive weight neither claim nor are outweighed', () => {
    const v = verdicts('Reserve a chimney inspection.', [m('upkeep', 'reserve .. inspection', -1), m('shop', 'inspection'), m('upkeep', 'reserve a chimney'), m('shop', 'a chimney', -2)]);
    expect(v['shop:inspection']).toBeUndefined();
    expect(v['shop:a chimney']).toBeUndefined();
  });
});

describe('classifyMessage: outweighed terms are reported, not counted', () => {
  const rules: KeywordRule[] = [
    { id: 'shop.reserve', queue: 'sales', weight: 3, in: 'any', terms: { en: ['reserve', 'deposit'] } },
    { id: 'upkeep.sweep', queue: 'support', weight: 4, in: 'any', terms: { en: ['reserve .. inspection'] } },
  ];
  const config = routingConfigSchema.parse({ includeDefaultKeywords: false, keywords: rules });
  const mail = (subject: string, text: string): MessageFacts => ({
    references: [],
    from: { address: 'ines@chimneyowners.example', name: 'Ines' },
    replyTo: [],
    to: [{ address: 'post@infracomfort.example' }],
    cc: [],
    subject,
    headers: {},
    text,
  });

  it('counts the phrase only, and says which word it outweighed', () => {
    const r = classifyMessage(mail('Chimney', 'Hello, may I reserve a chimney inspection in March? Ines'), { config });
    expect(r.scores.sales).toBe(0);
    expect(r.scores.support).toBe(4);
    expect(r.route).toBe('support');
    expect(r.reasons).toContain('outweighed: shop.reserve "reserve" in body is part of upkeep.sweep "reserve .. inspection" (support): sales not counted');
    expect(r.reasons.some((x) => x.startsWith('shop.reserve:'))).toBe(false);
  });

  it("a rule whose first term is outweighed counts through a later term of its own that stands", () => {
    const r = classifyMessage(mail('Chimney', 'May I reserve a chimney inspection? We can pay a deposit.'), { config });
    expect(r.scores.sales).toBe(3);
    expect(r.reasons).toContain('shop.reserve: "deposit" in body: sales +3');
  });

  it('the subject and the body are judged apart', () => {
    const r = classifyMessage(mail('Reserve', 'May I reserve a chimney inspection?'), { config });
    expect(r.reasons).toContain('shop.reserve: "reserve" in subject: sales +3');
    expect(r.reasons.some((x) => x.startsWith('outweighed: shop.reserve "reserve" in body'))).toBe(true);
  });
});

describe('shipped rules: booking a service visit is not an order', () => {
  it('"bestille .. servicebesøk" outweighs the order word, so the mail is a support ticket, not split evidence', () => {
    const r = classifyMessage(
      {
        references: [],
        from: { address: 'torill@fjellgard.example', name: 'Torill' },
        replyTo: [],
        to: [{ address: 'post@infracomfort.example' }],
        cc: [],
        subject: 'Årlig ettersyn',
        headers: {},
        text: 'Hei! Pumpa vår gikk sin første vinter i fjor. Går det an å bestille et servicebesøk før jul?\n\nHilsen Torill',
      },
      { config: defaultRoutingConfig },
    );
    expect(r.reasons.some((x) => /^outweighed: sales\.order "bestille" in body is part of support\.service-booking/.test(x))).toBe(true);
    expect(r.route).toBe('support');
  });
});
