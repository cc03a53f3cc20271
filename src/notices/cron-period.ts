import { DateTime } from 'luxon';
import { parse as parseCron } from 'node-cron';

/**
 * Cron arithmetic for recurring broadcasts, in a time zone (Europe/Oslo): which occurrence
 * of an expression is the latest at or before a moment, and which comes next. The occurrence
 * is a broadcast's period key, so "once per period" is a unique key in the database, not a
 * memory of when the process last ran.
 */
interface Fields {
  second: number[];
  minute: number[];
  hour: number[];
  dayOfMonth: number[];
  month: number[];
  dayOfWeek: number[];
  domRestricted: boolean;
  dowRestricted: boolean;
}

function fieldsOf(expression: string): Fields {
  const f = parseCron(expression);
  const nums = (xs: (number | string)[]) => xs.map(Number).filter((n) => Number.isFinite(n));
  const dom = nums(f.dayOfMonth);
  const dow = [...new Set(nums(f.dayOfWeek).map((d) => d % 7))];
  return {
    second: [...f.second].sort((a, b) => b - a),
    minute: [...f.minute].sort((a, b) => b - a),
    hour: [...f.hour].sort((a, b) => b - a),
    dayOfMonth: dom,
    month: f.month,
    dayOfWeek: dow,
    domRestricted: dom.length < 31,
    dowRestricted: dow.length < 7,
  };
}

function dayMatches(f: Fields, day: DateTime): boolean {
  if (!f.month.includes(day.month)) return false;
  const domOk = f.dayOfMonth.includes(day.day);
  const dowOk = f.dayOfWeek.includes(day.weekday % 7);
  // Classic cron: when both day fields are restricted, either one matching is enough.
  if (f.domRestricted && f.dowRestricted) return domOk || dowOk;
  return domOk && dowOk;
}

/** Times of a matching day, latest first (wall-clock; a nonexistent DST time is skipped). */
function timesOfDay(f: Fields, day: DateTime, zone: string): Date[] {
  const out: Date[] = [];
  for (const hour of f.hour) {
    for (const minute of f.minute) {
      for (const second of f.second) {
        const t = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour, minute, second }, { zone });
        if (!t.isValid || t.hour !== hour || t.minute !== minute) continue;
        out.push(t.toJSDate());
      }
    }
  }
  return out.sort((a, b) => b.getTime() - a.getTime());
}

/** The latest occurrence of `expression` at or before `at`, looking back at most `maxDays`. */
export function latestOccurrence(expression: string, at: Date, zone = 'Europe/Oslo', maxDays = 400): Date | null {
  const f = fieldsOf(expression);
  let day = DateTime.fromJSDate(at, { zone }).startOf('day');
  for (let i = 0; i <= maxDays; i++, day = day.minus({ days: 1 })) {
    if (!dayMatches(f, day)) continue;
    const hit = timesOfDay(f, day, zone).find((t) => t.getTime() <= at.getTime());
    if (hit) return hit;
  }
  return null;
}

/** The first occurrence strictly after `after`, looking ahead at most `maxDays`. */
export function nextOccurrence(expression: string, after: Date, zone = 'Europe/Oslo', maxDays = 400): Date | null {
  const f = fieldsOf(expression);
  let day = DateTime.fromJSDate(after, { zone }).startOf('day');
  for (let i = 0; i <= maxDays; i++, day = day.plus({ days: 1 })) {
    if (!dayMatches(f, day)) continue;
    const hits = timesOfDay(f, day, zone).filter((t) => t.getTime() > after.getTime());
    if (hits.length) return hits[hits.length - 1]!;
  }
  return null;
}
