import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import { enqueueEmail } from '../outbox/enqueue-store.ts';
import { formatDay } from '../templates/human-date.ts';
import type { TemplateLanguage } from '../templates/render-template.ts';
import { composeNoticeMail, languageOf, type ComposeDeps } from './compose.ts';
import { noticeRecipients, reachedRecipients } from './recipients.ts';
import { dueDecision } from './schedule.ts';
import { latestOccurrence, nextOccurrence } from './cron-period.ts';
import { nextNoticeRef, type NoticeServiceDeps } from './notice-service.ts';
import {
  broadcastFirstSeen,
  claimDueNotice,
  dueSteps,
  insertBroadcastNotice,
  markStepSent,
  noticesOfPeriod,
  setNoticeApprovalTask,
  setNoticeState,
  skipStep,
  type NoticeRecord,
  type NoticeStepRecord,
} from './notice-store.ts';
import { earlierMessageIds, recordDelivery } from './delivery-store.ts';
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
      const notice = await claimDueNotice(tx, now);
      if (!notice) return false;
      const steps = await dueSteps(tx, notice, now);
      for (const step of steps) {
        const decision = dueDecision(step, now);
        if (decision === 'skip') {
          await skipStep(tx, step.id, 'no longer makes sense: it fell due while nothing was running', now);
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
  const cancellation = step.step === 'cancellation';
  const recipients = cancellation ? await reachedRecipients(em, notice.id) : await noticeRecipients(em, { services: notice.services, allCustomers: notice.allCustomers });
  const updateNumber = step.step === 'update' ? Number(/update-(\d+)/.exec(step.label)?.[1] ?? 0) || undefined : undefined;
  const extras = notice.kind === 'broadcast' ? await broadcastExtras(em, notice, deps) : undefined;
  let queued = 0;
  for (const r of recipients) {
    // A cancellation threads under what actually reached the person (not under withdrawn mail).
    const earlier = await earlierMessageIds(em, notice.id, r.contactId, cancellation);
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
    await recordDelivery(em, {
      noticeId: notice.id,
      stepId: step.id,
      contactId: r.contactId,
      organisationId: r.organisationId || null,
      email: r.email,
      language: languageOf(r.language),
      messageId: mail.messageId,
      outboxId,
    });
    if (outboxId) queued++;
  }
  await markStepSent(em, step.id, now, recipients.length);
  const nextState = step.step === 'started' ? 'active' : step.step === 'completed' ? 'completed' : step.step === 'resolved' ? 'resolved' : step.step === 'broadcast' ? 'completed' : null;
  if (nextState) await setNoticeState(em, notice.id, nextState);
  deps.log.info({ notice: notice.ref, step: step.label, recipients: recipients.length }, 'notice step sent');
  return queued;
}

/** A broadcast's template gets its period and, per organisation, the notices of that period. */
async function broadcastExtras(em: EntityManager, notice: NoticeRecord, deps: NoticeJobDeps): Promise<(orgId: string, lang: TemplateLanguage) => Record<string, unknown>> {
  const cfg = deps.notices.broadcasts.find((b) => b.key === notice.broadcastKey);
  const periodEnd = notice.periodStart ?? notice.createdAt;
  const periodStart = cfg ? latestOccurrence(cfg.cron, new Date(periodEnd.getTime() - 1000), deps.notices.timezone) : null;
  const rows = await noticesOfPeriod(em, periodEnd, periodStart);
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
      const firstSeenAt = await broadcastFirstSeen(tx, b.key, now);
      const period = latestOccurrence(b.cron, now, deps.notices.timezone);
      if (!period || period.getTime() < new Date(firstSeenAt).getTime()) return;
      const ref = await nextNoticeRef(tx, deps.notices.refPrefix);
      const approval = deps.notices.approval.broadcast;
      const notice = await insertBroadcastNotice(tx, {
        ref,
        state: approval ? 'awaiting-approval' : 'scheduled',
        title: b.title,
        body: b.body,
        services: b.services,
        key: b.key,
        period,
        template: b.template,
        now,
        // The period's broadcast makes no sense once the next period has begun.
        expires: nextOccurrence(b.cron, period, deps.notices.timezone),
      });
      if (!notice) return;
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
        await setNoticeApprovalTask(tx, notice.id, task.id);
      }
      created.push(notice.ref);
    });
  }
  return created;
}
