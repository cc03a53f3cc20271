/**
 * Scheduled privacy work: reminders to Slack 7, 3 and 1 days before a case is due and an
 * escalation when overdue (each once: privacy_reminder's primary key), and the retention job
 * that deletes orders past their bookkeeping period.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { createTask } from '../tasks/task-service.ts';
import { daysLeft, osloDate, reminderMarkDue } from './due-date.ts';
import { deleteExpiredOrders } from './coverage-store.ts';
import { audit, claimReminder, openCaseDues, remindersSent } from './case-store.ts';
import type { PrivacyDeps } from './case-service.ts';

export async function runReminders(em: EntityManager, now: Date, deps: Pick<PrivacyDeps, 'config' | 'channels' | 'postToSlack'>): Promise<{ sent: { ref: string; mark: string }[] }> {
  const open = await openCaseDues(em);
  const sent: { ref: string; mark: string }[] = [];
  for (const c of open) {
    const marks = new Set(await remindersSent(em, c.id));
    const mark = reminderMarkDue(new Date(c.due), now, deps.config.reminderDays, marks);
    if (!mark) continue;
    // The insert is the "once": a second daemon or a restart finds the row and sends nothing.
    if (!(await claimReminder(em, c.id, mark, now))) continue;
    const overdue = mark === 'overdue';
    const dueDate = osloDate(new Date(c.due));
    await createTask(
      em,
      {
        kind: 'deadline-reminder',
        recordRef: c.ref,
        title: overdue ? `OVERDUE: privacy case ${c.ref} was due ${dueDate}` : `Privacy case ${c.ref} is due in ${daysLeft(new Date(c.due), now)} day(s)`,
        channelKey: overdue ? 'alerts' : 'privacy',
        details: { dueDate, daysLeft: String(daysLeft(new Date(c.due), now)), privacy: 'yes', mark },
        dedupeKey: `privacy-reminder:${c.id}:${mark}`,
      },
      { channels: deps.channels, postToSlack: deps.postToSlack },
    );
    await audit(em, String(c.id), { kind: 'system', id: 'scheduler', name: 'Mailroom scheduler' }, overdue ? 'escalated' : 'reminded', { mark, dueDate });
    sent.push({ ref: c.ref, mark });
  }
  return { sent };
}

/** Deletes every order whose bookkeeping period (financial year end + N years) has passed. */
export async function runRetention(em: EntityManager, now: Date, deps: Pick<PrivacyDeps, 'config'>): Promise<{ deleted: number }> {
  if (!deps.config.retention.purgeExpiredOrders) return { deleted: 0 };
  const deleted = await deleteExpiredOrders(em, {
    contacts: [],
    emails: [],
    cases: [],
    now,
    orderYears: deps.config.retention.orderYears,
    fyEndMonth: deps.config.retention.financialYearEndMonth,
  });
  return { deleted };
}
