import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import { sqlOf, type Sql } from '../db/sql.ts';
import { enqueueEmail } from '../outbox/enqueue.ts';
import { formatDay } from '../templates/human-date.ts';
import type { TemplateLanguage } from '../templates/render-template.ts';
import { composeNoticeMail, languageOf, type ComposeDeps } from './compose.ts';
import { noticeRecipients, reachedRecipients } from './recipients.ts';
import { dueDecision } from './schedule.ts';
import { latestOccurrence, nextOccurrence } from './cron-period.ts';
import { REACHED_DELIVERY, nextNoticeRef, noticeFromRow, stepFromRow, type NoticeRecord, type NoticeServiceDeps, type NoticeStepRecord } from './notice-service.ts';
import { createTask } from '../tasks/task-service.ts';

export interface NoticeJobDeps extends ComposeDeps, NoticeServiceDeps {
  log: Logger;
  /** After a commit that queued mail (wake the dispatcher). */
  onCommitted?: () => void;
}

export interface NoticeRunResult {
  sent: { ref: string; label: string; recipients: number }[];
  skipped: { ref: string; label: string; reason: string }[];
  broadcastsCreated: string[];
}

/**
 * The scheduler job: makes this period's recurring broadcasts, then sends every step that is
 * due at `now`. Safe to run from any number of daemons at once and as often as you like:
 *
 * - a notice is worked on under `FOR UPDATE SKIP LOCKED`, so two daemons never handle the same
 *   notice at the same time, and the steps of one notice go in order;
 * - a step goes from pending to sent/skipped once, in the transaction that writes its outbox
 *   rows (dedupe key `notice:<id>:<label>:<contact>`), so a crash either leaves it pending with
 *   no mail queued or finished with all of it;
 * - a step that fell due while no daemon ran is sent late only until it expires (see
 *   schedule.ts), so there is never a "starts in 1 hour" after the start.
 */
export async function runNoticeJob(orm: Orm, now: Date, deps: NoticeJobDeps): Promise<NoticeRunResult> {
  const result: NoticeRunResult = { sent: [], skipped: [], broadcastsCreated: [] };
  result.broadcastsCreated = await ensureBroadcasts(orm.em.fork(), now, deps);
  for (let guard = 0; guard < 10_000; guard++) {
    const worked = await orm.em.fork().transactional(async (tx) => {
      const sql = sqlOf(tx);
      const [row] = await sql(
        `select n.* from notice n
          where (n.state in ('scheduled', 'active')
                 and exists (select 1 from notice_step s where s.notice_id = n.id and s.state = 'pending' and s.due_at <= ?))
             -- a cancelled notice has one thing left to say: that it is cancelled
             or (n.state = 'cancelled'
                 and exists (select 1 from notice_step s where s.notice_id = n.id and s.step = 'cancellation' and s.state = 'pending' and s.due_at <= ?))
          order by n.id
          limit 1
          for update of n skip locked`,
        [now, now],
      );
      if (!row) return false;
      const notice = noticeFromRow(row);
      const steps = (
        await sql(`select * from notice_step where notice_id = ? and state = 'pending' and due_at <= ? and (? <> 'cancelled' or step = 'cancellation') order by due_at, seq`, [notice.id, now, notice.state])
      ).map(stepFromRow);
      for (const step of steps) {
        const decision = dueDecision(step, now);
        if (decision === 'skip') {
          await sql(`update notice_step set state = 'skipped', reason = ?, done_at = ? where id = ? and state = 'pending'`, ['no longer makes sense: it fell due while nothing was running', now, step.id]);
          result.skipped.push({ ref: notice.ref, label: step.label, reason: 'expired' });
          deps.log.info({ notice: notice.ref, step: step.label, dueAt: step.dueAt }, 'notice step skipped: too late to make sense');
          continue;
        }
        const n = await sendStep(tx, notice, step, now, deps);
        result.sent.push({ ref: notice.ref, label: step.label, recipients: n });
      }
      return true;
    });
    if (!worked) break;
    deps.onCommitted?.();
  }
  return result;
}

async function sendStep(em: EntityManager, notice: NoticeRecord, step: NoticeStepRecord, now: Date, deps: NoticeJobDeps): Promise<number> {
  const sql = sqlOf(em);
  const cancellation = step.step === 'cancellation';
  const recipients = cancellation ? await reachedRecipients(em, notice.id, REACHED_DELIVERY) : await noticeRecipients(em, { services: notice.services, allCustomers: notice.allCustomers });
  const updateNumber = step.step === 'update' ? Number(/update-(\d+)/.exec(step.label)?.[1] ?? 0) || undefined : undefined;
  const extras = notice.kind === 'broadcast' ? await broadcastExtras(sql, notice, deps) : undefined;
  let queued = 0;
  for (const r of recipients) {
    // A cancellation threads under what actually reached the person (not under withdrawn mail).
    const earlier = (
      await sql<{ message_id: string }>(`select d.message_id from notice_delivery d where d.notice_id = ? and d.contact_id = ?${cancellation ? ` and ${REACHED_DELIVERY}` : ''} order by d.id`, [notice.id, r.contactId])
    ).map((x) => x.message_id);
    const mail = composeNoticeMail(
      {
        notice,
        step: { id: step.id, step: step.step, label: step.label, body: step.body, offsetMinutes: step.offsetMinutes, updateNumber },
        recipient: { contactId: r.contactId, email: r.email, name: r.name, language: r.language, organisationName: r.organisationName },
        earlier,
        extra: extras?.(r.organisationId, languageOf(r.language)),
      },
      deps,
    );
    const outboxId = await enqueueEmail(em, mail, { dedupeKey: `notice:${notice.id}:${step.label}:${r.contactId}` });
    await sql(
      `insert into notice_delivery (notice_id, step_id, contact_id, organisation_id, email, language, message_id, outbox_id)
       values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (step_id, contact_id) do nothing`,
      [notice.id, step.id, r.contactId, r.organisationId || null, r.email, languageOf(r.language), mail.messageId, outboxId],
    );
    if (outboxId) queued++;
  }
  await sql(`update notice_step set state = 'sent', done_at = ?, recipients = ? where id = ? and state = 'pending'`, [now, recipients.length, step.id]);
  const nextState = step.step === 'started' ? 'active' : step.step === 'completed' ? 'completed' : step.step === 'resolved' ? 'resolved' : step.step === 'broadcast' ? 'completed' : null;
  if (nextState) await sql(`update notice set state = ?, updated_at = now() where id = ?`, [nextState, notice.id]);
  deps.log.info({ notice: notice.ref, step: step.label, recipients: recipients.length }, 'notice step sent');
  return queued;
}

/** A broadcast's template gets its period and, per organisation, the notices of that period. */
async function broadcastExtras(sql: Sql, notice: NoticeRecord, deps: NoticeJobDeps): Promise<(orgId: string, lang: TemplateLanguage) => Record<string, unknown>> {
  const cfg = deps.notices.broadcasts.find((b) => b.key === notice.broadcastKey);
  const periodEnd = notice.periodStart ?? notice.createdAt;
  const periodStart = cfg ? latestOccurrence(cfg.cron, new Date(periodEnd.getTime() - 1000), deps.notices.timezone) : null;
  const rows = await sql<{ ref: string; kind: string; title: string; state: string; services: string[]; window_start: Date | null; created_at: Date; orgs: string[] | null }>(
    `select n.ref, n.kind, n.title, n.state, n.services, n.window_start, n.created_at,
            (select array_agg(distinct os.organisation_id::text) from organisation_service os where os.service = any(n.services)) as orgs
       from notice n
      where n.kind <> 'broadcast' and n.state not in ('draft', 'awaiting-approval', 'rejected')
        and n.created_at < ? and (?::timestamptz is null or n.created_at >= ?)
      order by n.id`,
    [periodEnd, periodStart, periodStart],
  );
  return (orgId, lang) => {
    const mine = rows.filter((r) => (r.orgs ?? []).includes(orgId));
    return {
      periodFrom: periodStart ? formatDay(periodStart, lang, deps.notices.timezone) : '',
      periodTo: formatDay(periodEnd, lang, deps.notices.timezone),
      notices: mine.map((r) => ({ ref: r.ref, kind: r.kind, title: r.title, state: r.state })),
      hasNotices: mine.length > 0,
      maintenanceCount: mine.filter((r) => r.kind === 'maintenance').length,
      incidentCount: mine.filter((r) => r.kind === 'incident').length,
    };
  };
}

/**
 * One notice per configured broadcast and cron period: the period is the latest occurrence of
 * the expression at or before `now`, and (broadcast_key, period_start) is unique, so restarts
 * and parallel daemons make it once. Periods before the broadcast was first seen are not sent
 * (adding a monthly summary on the 20th does not send the one of the 1st).
 */
export async function ensureBroadcasts(em: EntityManager, now: Date, deps: NoticeJobDeps): Promise<string[]> {
  const created: string[] = [];
  for (const b of deps.notices.broadcasts) {
    await em.transactional(async (tx) => {
      const sql = sqlOf(tx);
      await sql(`insert into notice_broadcast (key, first_seen_at) values (?, ?) on conflict (key) do nothing`, [b.key, now]);
      const [state] = await sql<{ first_seen_at: Date }>(`select first_seen_at from notice_broadcast where key = ?`, [b.key]);
      const period = latestOccurrence(b.cron, now, deps.notices.timezone);
      if (!period || period.getTime() < new Date(state!.first_seen_at).getTime()) return;
      const ref = await nextNoticeRef(tx, deps.notices.refPrefix);
      const approval = deps.notices.approval.broadcast;
      const [row] = await sql(
        `insert into notice (ref, kind, state, title, body, services, all_customers, broadcast_key, period_start, template, created_by, scheduled_at)
         values (?, 'broadcast', ?, ?, ?, ?::text[], ?, ?, ?, ?, 'config', ?)
         on conflict (broadcast_key, period_start) do nothing returning *`,
        [ref, approval ? 'awaiting-approval' : 'scheduled', b.title, b.body, `{${b.services.map((s) => `"${s}"`).join(',')}}`, b.services.length === 0, b.key, period, b.template, now],
      );
      if (!row) return;
      const notice = noticeFromRow(row);
      const expires = nextOccurrence(b.cron, period, deps.notices.timezone);
      await sql(
        `insert into notice_step (notice_id, seq, step, label, due_at, expires_at, state) values (?, 1, 'broadcast', 'broadcast', ?, ?, 'pending')`,
        [notice.id, period, expires],
      );
      await sql(`update notice_broadcast set last_period_start = greatest(last_period_start, ?) where key = ?`, [period, b.key]);
      if (approval) {
        const task = await createTask(
          tx,
          {
            kind: 'approval',
            recordRef: notice.ref,
            title: `${notice.ref}: send the ${b.title} of ${period.toISOString().slice(0, 10)}`,
            channelKey: deps.notices.approvalChannel,
            actionKind: 'notice',
            actionPayload: { noticeId: notice.id, ref: notice.ref },
            details: { what: 'recurring broadcast' },
            dedupeKey: `notice:${notice.id}:approval`,
          },
          { channels: deps.channels, postToSlack: deps.postToSlack },
        );
        await sql(`update notice set approval_task_id = ? where id = ?`, [task.id, notice.id]);
      }
      created.push(notice.ref);
    });
  }
  return created;
}
