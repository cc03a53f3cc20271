/**
 * The legal clock of a privacy request, pure (luxon, Europe/Oslo).
 *
 * The clock starts at receipt (inbound_message.received_at, GDPR art. 12(3)). The answer is
 * due at the earlier of "+30 days" (the privacy statement's promise) and "+1 calendar month"
 * (the GDPR), both counted on the Oslo calendar: the due instant is the same Oslo wall-clock
 * time on the due day (a DST change in between shifts the UTC offset, not the day). Luxon's
 * month arithmetic clamps to the month's last day (31 January + 1 month = 28/29 February).
 */
import { DateTime } from 'luxon';

export const OSLO = 'Europe/Oslo';

export interface DueDate {
  /** The instant the answer is due. */
  dueAt: Date;
  /** The due day on the Oslo calendar, yyyy-MM-dd: what people are told. */
  dueDate: string;
  /** Which rule gave the earlier date. */
  rule: '30-days' | '1-month' | 'both';
}

function oslo(d: Date): DateTime {
  return DateTime.fromJSDate(d, { zone: OSLO });
}

export function computeDue(receivedAt: Date): DueDate {
  const r = oslo(receivedAt);
  const days = r.plus({ days: 30 });
  const month = r.plus({ months: 1 });
  const cmp = days.toMillis() - month.toMillis();
  const due = cmp <= 0 ? days : month;
  return { dueAt: due.toJSDate(), dueDate: due.toISODate()!, rule: cmp === 0 ? 'both' : cmp < 0 ? '30-days' : '1-month' };
}

/** The Oslo calendar day of an instant (yyyy-MM-dd). */
export function osloDate(d: Date): string {
  return oslo(d).toISODate()!;
}

/**
 * Art. 12(3): up to two further months, only with reasons sent to the person before the first
 * month ends. Returns the new due date, or why it cannot be extended.
 */
export function extendDue(
  receivedAt: Date,
  now: Date,
  months: number,
): { ok: true; dueAt: Date; dueDate: string } | { ok: false; reason: string } {
  if (!Number.isInteger(months) || months < 1 || months > 2) return { ok: false, reason: 'an extension is 1 or 2 months' };
  const first = computeDue(receivedAt);
  if (now.getTime() >= first.dueAt.getTime()) return { ok: false, reason: `the first period ended on ${first.dueDate}; an extension must be sent before that` };
  const due = oslo(first.dueAt).plus({ months });
  return { ok: true, dueAt: due.toJSDate(), dueDate: due.toISODate()! };
}

/**
 * The reminder marks due at `now`: 'd7', 'd3', 'd1' when within that many Oslo calendar days
 * of the due day, 'overdue' after the due instant. Only the most urgent unsent mark is
 * returned (a case found 2 days before its due date gets the 3-day reminder, not all three).
 */
export function reminderMarkDue(dueAt: Date, now: Date, days: number[], sent: ReadonlySet<string>): string | null {
  if (now.getTime() >= dueAt.getTime()) return sent.has('overdue') ? null : 'overdue';
  const left = daysLeft(dueAt, now);
  const sorted = [...days].sort((a, b) => a - b);
  const hit = sorted.find((d) => left <= d);
  if (hit === undefined) return null;
  const mark = `d${hit}`;
  // A more urgent mark already sent covers the less urgent ones.
  if (sorted.filter((d) => d <= hit).some((d) => sent.has(`d${d}`))) return null;
  return mark;
}

/** Whole Oslo calendar days from `now` to the due day (0 on the due day). */
export function daysLeft(dueAt: Date, now: Date): number {
  const a = oslo(now).startOf('day');
  const b = oslo(dueAt).startOf('day');
  return Math.round(b.diff(a, 'days').days);
}
