import { describe, expect, it } from 'vitest';
import { evaluate, formatReport, type EvalOutcome } from '../../src/classify/evaluation.ts';

const o = (expect: EvalOutcome['expect'], predicted: EvalOutcome['predicted'], extra: Partial<EvalOutcome> = {}): EvalOutcome => ({ id: `${expect}-${predicted}-${Math.random()}`, expect, predicted, ...extra });

describe('evaluation figures', () => {
  it('precision, recall, confusion and clear requests left in triage', () => {
    const r = evaluate([
      o('support', 'support'), o('support', 'support'), o('support', 'triage'), o('support', 'sales'),
      o('sales', 'sales'), o('sales', 'support'),
      o('privacy', 'privacy', { expectRights: ['access'], rights: ['access', 'erasure'] }),
      o('spam', 'spam'), o('spam', 'triage'),
      o('newsletter-reply', 'automated'),
    ]);
    expect(r.count).toBe(10);
    expect(r.labels.support).toMatchObject({ n: 4, predicted: 3, truePositives: 2 });
    expect(r.labels.support.recall).toBe(0.5);
    expect(r.labels.support.precision).toBeCloseTo(2 / 3);
    expect(r.labels.sales.precision).toBe(0.5);
    expect(r.labels['newsletter-reply'].precision).toBeNaN();
    expect(r.confusion.support).toMatchObject({ support: 2, triage: 1, sales: 1, privacy: 0 });
    // Spam in triage is not a clear request left waiting; a support mail is.
    expect(r.clearInTriage).toEqual({ n: 1, of: 7, share: 1 / 7 });
    expect(r.rights).toEqual({ right: 1, of: 1 });
    expect(r.misses).toHaveLength(5);
    const text = formatReport(r, 'x');
    expect(text).toContain('support             4    66.7%     50.0%');
    expect(text).toMatch(/clear requests left in triage: 1 of 7/);
  });
});
