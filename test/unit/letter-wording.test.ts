/**
 * The pure parts of customer letters: dates for people, and the privacy statement's categories
 * (with reasons in the letter's language) instead of table names.
 */
import { describe, expect, it } from 'vitest';
import { formatDateTime, formatDay } from '../../src/templates/human-date.ts';
import { CATEGORY_NAMES, KEPT_REASONS, categoryOf, erasureLetter, keptReason } from '../../src/privacy/letter-categories.ts';
import { privacyCoverage } from '../../src/app/privacy-setup.ts';
import { planErasure } from '../../src/privacy/erasure.ts';
import type { TemplateLanguage } from '../../src/templates/render-template.ts';

const LANGS: TemplateLanguage[] = ['nb', 'nn', 'en'];

describe('dates in customer mail', () => {
  it('writes a calendar date as a person does, in each language', () => {
    expect(formatDay('2027-01-05', 'nb')).toBe('5. januar 2027');
    expect(formatDay('2027-01-05', 'nn')).toBe('5. januar 2027');
    expect(formatDay('2027-01-05', 'en')).toBe('5 January 2027');
    expect(formatDay('2031-12-31', 'nb')).toBe('31. desember 2031');
  });

  it('reads a moment in Norwegian time: late on New Year’s Eve UTC is already the 1st in Oslo', () => {
    expect(formatDay(new Date('2026-12-31T23:30:00Z'), 'nb')).toBe('1. januar 2027');
    expect(formatDay(new Date('2026-12-31T23:30:00Z'), 'en', 'UTC')).toBe('31 December 2026');
  });

  it('gives weekday and time, with nynorsk weekday names', () => {
    const at = new Date('2026-12-05T21:00:00Z');
    expect(formatDateTime(at, 'nb')).toBe('lørdag 5. desember 2026 kl. 22:00');
    expect(formatDateTime(at, 'nn')).toBe('laurdag 5. desember 2026 kl. 22:00');
    expect(formatDateTime(at, 'en')).toBe('Saturday 5 December 2026 at 22:00');
  });

  it('leaves nothing for nothing, and text it cannot read as it is', () => {
    expect(formatDay(null, 'nb')).toBe('');
    expect(formatDay('snart', 'nb')).toBe('snart');
  });
});

describe('categories in privacy letters', () => {
  it('every table that holds a person’s data has a category of the privacy statement, named in every language', () => {
    const personal = privacyCoverage().filter((e) => e.personal && e.erase.action !== 'none');
    expect(personal.length).toBeGreaterThan(10);
    for (const e of personal) {
      const c = categoryOf(e.table, e.system);
      expect(c, `${e.table} (${e.system})`).not.toBe('other');
      for (const l of LANGS) expect(CATEGORY_NAMES[c][l]).toBeTruthy();
    }
  });

  it('every category that can be kept has its own reason in every language', () => {
    const keepable = privacyCoverage().filter((e) => e.personal && ['keep', 'retention', 'mixed'].includes(e.erase.action));
    for (const e of keepable) {
      const c = categoryOf(e.table, e.system);
      expect(KEPT_REASONS[c], `${e.table}: no reason for ${c}`).toBeDefined();
    }
  });

  it('names the statement’s words, not tables: mail, support cases, orders', () => {
    expect(CATEGORY_NAMES[categoryOf('inbound_message', 'mail')].nb).toBe('e-post du har sendt oss (med vedlegg)');
    expect(categoryOf('inbound_raw_chunk', 'mail')).toBe(categoryOf('attachment', 'mail'));
    expect(CATEGORY_NAMES[categoryOf('record_message', 'support')].nb).toBe('supportsaker');
    expect(CATEGORY_NAMES[categoryOf('outbox_message', 'mail')].nn).toBe('e-post vi har sendt deg');
    expect(categoryOf('some_future_table', 'martian')).toBe('other');
    expect(keptReason('other', 'nb')).not.toMatch(/\b(the|kept|and)\b/);
  });

  it('an erasure letter lists categories once each, with reasons and dates in the letter’s language and no table names', () => {
    const entries = privacyCoverage();
    const counts: Record<string, { found: number; expired?: number; keptUntil?: string | null; kept?: number }> = {};
    for (const e of entries) if (e.personal && e.match) counts[e.entity] = { found: 2, kept: 1 };
    counts.CustomerOrder = { found: 2, expired: 1, keptUntil: '2031-12-31' };
    const plan = planErasure(entries, counts, 'anonymise');
    const tables = entries.map((e) => e.table);
    for (const l of LANGS) {
      const letter = erasureLetter(plan, l);
      const text = JSON.stringify(letter);
      for (const t of tables) if (t.includes('_')) expect(text, `${l}: ${t}`).not.toContain(t);
      expect(new Set(letter.kept.map((k) => k.category)).size).toBe(letter.kept.length);
      expect(new Set(letter.deleted.map((k) => k.category)).size).toBe(letter.deleted.length);
      const orders = letter.kept.find((k) => k.category === CATEGORY_NAMES.orders[l])!;
      expect(orders.until).toBe(l === 'en' ? '31 December 2031' : '31. desember 2031');
      if (l !== 'en') {
        // No English reason inside a Norwegian letter.
        for (const k of letter.kept) expect(k.reason, k.category).not.toMatch(/\b(the|are|kept|and|of)\b/);
      }
    }
    const nb = erasureLetter(plan, 'nb');
    expect(nb.kept.map((k) => k.category)).toEqual(expect.arrayContaining(['supportsaker', 'e-post du har sendt oss (med vedlegg)', 'bestillinger og ordre']));
  });
});
