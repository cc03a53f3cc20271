import type { NoticeStepKind } from '../entities/notices.ts';

/**
 * The schedule of a notice as rows to insert, and the rule for a step that fell due while
 * nobody was looking. Pure: no database, no clock (the caller passes `now`).
 */
export interface PlannedStep {
  step: NoticeStepKind;
  label: string;
  seq: number;
  dueAt: Date;
  /** From this moment on the message no longer makes sense and is skipped instead of sent. */
  expiresAt: Date | null;
  offsetMinutes?: number;
}

export function reminderLabel(minutes: number): string {
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}

/**
 * Planned maintenance, activated at `now` (scheduled without approval, or approved): the
 * announcement now, reminders at the configured offsets before the start, "started" at the
 * start and "completed" at the end.
 *
 * - A reminder whose time is already past when the notice is activated is left out: the
 *   announcement says everything it would (no "starts in 72 hours" a day before).
 * - A reminder expires when the next reminder falls due (or at the start for the last one):
 *   after downtime only the latest sensible reminder goes, never "starts in 1 hour" after the
 *   start.
 * - "started" expires at the end of the window; the announcement too (after the end there is
 *   nothing to announce). "completed" never expires.
 */
export function planMaintenance(input: { now: Date; windowStart: Date; windowEnd: Date; reminderMinutes: number[] }): PlannedStep[] {
  const { now, windowStart, windowEnd } = input;
  const offsets = [...new Set(input.reminderMinutes.filter((m) => m > 0))].sort((a, b) => b - a);
  const reminders = offsets
    .map((m) => ({ minutes: m, dueAt: new Date(windowStart.getTime() - m * 60_000) }))
    .filter((r) => r.dueAt.getTime() > now.getTime());
  const steps: PlannedStep[] = [];
  let seq = 1;
  steps.push({ step: 'announcement', label: 'announcement', seq: seq++, dueAt: now, expiresAt: windowEnd });
  reminders.forEach((r, i) => {
    const next = reminders[i + 1];
    steps.push({
      step: 'reminder',
      label: `reminder-${reminderLabel(r.minutes)}`,
      seq: seq++,
      dueAt: r.dueAt,
      expiresAt: next ? next.dueAt : windowStart,
      offsetMinutes: r.minutes,
    });
  });
  steps.push({ step: 'started', label: 'started', seq: seq++, dueAt: new Date(Math.max(windowStart.getTime(), now.getTime())), expiresAt: windowEnd });
  steps.push({ step: 'completed', label: 'completed', seq: seq++, dueAt: new Date(Math.max(windowEnd.getTime(), now.getTime())), expiresAt: null });
  return steps;
}

/** What to do with a due step at `now`. */
export function dueDecision(step: { dueAt: Date; expiresAt: Date | null }, now: Date): 'send' | 'wait' | 'skip' {
  if (step.dueAt.getTime() > now.getTime()) return 'wait';
  if (step.expiresAt && now.getTime() >= step.expiresAt.getTime()) return 'skip';
  return 'send';
}
