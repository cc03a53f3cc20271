import { DateTime } from 'luxon';
import type { TemplateLanguage } from './render-template.ts';

/**
 * Dates as people write them in a letter, in the mail's language: "5. januar 2027" (bokmål and
 * nynorsk share the month names), "5 January 2027"; with time, the weekday too ("tysdag" in
 * nynorsk). Customer mail never shows ISO dates. Pure: the caller passes the zone.
 */
const LOCALE: Record<TemplateLanguage, string> = { nb: 'nb', nn: 'nn', en: 'en-GB' };

/** A calendar date: 'YYYY-MM-DD' is that day (no zone shift); a Date is read in `zone`. */
function toDateTime(value: Date | string, zone: string): DateTime | null {
  const t = typeof value === 'string' ? (/^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? DateTime.fromISO(value.trim(), { zone }) : DateTime.fromISO(value.trim(), { setZone: false }).setZone(zone)) : DateTime.fromJSDate(value, { zone });
  return t.isValid ? t : null;
}

export function formatDay(value: Date | string | null | undefined, lang: TemplateLanguage, zone = 'Europe/Oslo'): string {
  if (value === null || value === undefined || value === '') return '';
  const t = toDateTime(value, zone);
  if (!t) return String(value);
  return lang === 'en' ? t.setLocale(LOCALE.en).toFormat('d LLLL yyyy') : t.setLocale(LOCALE[lang]).toFormat('d. LLLL yyyy');
}

export function formatDateTime(value: Date | null | undefined, lang: TemplateLanguage, zone = 'Europe/Oslo'): string {
  if (!value) return '';
  const t = DateTime.fromJSDate(value, { zone });
  return lang === 'en' ? t.setLocale(LOCALE.en).toFormat("cccc d LLLL yyyy 'at' HH:mm") : t.setLocale(LOCALE[lang]).toFormat("cccc d. LLLL yyyy 'kl.' HH:mm");
}
