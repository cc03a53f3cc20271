/**
 * Scheduled privacy work: reminders to Slack 7, 3 and 1 days before a case is due and an
 * escalation when overdue (each once: privacy_reminder's primary key), and the retention job
 * that deletes orders past their bookkeeping period.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { createTask } from '../tasks/task-service.ts';
import { daysLeft, osloDate, reminderMarkDue } from './due-date.ts';
import { ORDER_EXPIRED } from './coverage.ts';
import { bindNamed } from './subject.ts';
import { audit, type PrivacyDeps } from './case-service.ts';

export async function runReminders(em: EntityManager, now: Date, deps: Pick<PrivacyDeps, 'config' | 'channels' | 'postToSlack'>): Promise<{ sent: { ref: string; mark: string }[] }> {
  const sql = sqlOf(em);
  const open = await sql<{ id: string; ref: string; due: Date }>(
    `select id, ref, coalesce(extended_due_at, due_at) as due from privacy_case where state not in ('completed', 'denied', 'cancelled') order by id`,
  );
  const sent: { ref: string; mark: string }[] = [];
  for (const c of open) {
    const marks = new Set((await sql<{ mark: string }>(`select mark from privacy_reminder where case_id = ?`, [c.id])).map((r) => r.mark));
    const mark = reminderMarkDue(new Date(c.due), now, deps.config.reminderDays, marks);
    if (!mark) continue;
    // The insert is the "once": a second daemon or a restart finds the row and sends nothing.
    const claimed = await sql(`insert into privacy_reminder (case_id, mark, sent_at) values (?, ?, ?) on conflict do nothing returning case_id`, [c.id, mark, now]);
    if (!claimed.length) continue;
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
  const q = bindNamed(`delete from customer_order where ${ORDER_EXPIRED} returning id`, {
    contacts: [],
    emails: [],
    cases: [],
    now,
    orderYears: deps.config.retention.orderYears,
    fyEndMonth: deps.config.retention.financialYearEndMonth,
  });
  const rows = await sqlOf(em)(q.sql, q.params);
  return { deleted: rows.length };
}
