/**
 * Mailbox alerts for staff (issue 5, item 3): the ingest health check (`ImapWatcher.healthy()`)
 * turned into a task in the alerts channel — one per outage — that is closed by the system when
 * the mailbox is reachable again. The task goes through the outbox like every other task, so a
 * Slack outage delays the alert but never loses or doubles it; with Slack off, `mailroom tasks
 * list` shows it.
 *
 * State lives in the database (an open 'mailbox-alert' task for the mailbox), not in memory, so
 * a restart during an outage neither alerts twice nor forgets to close the alert.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import { openMailboxAlertTasks } from '../tasks/task-store.ts';
import { createTask, decideTask, type SlackChannels } from '../tasks/task-service.ts';
import type { Actor, TaskRecord } from '../tasks/task-types.ts';
import { WorkLoop } from '../scheduler/work-loop.ts';

/** What the alerts need from the IMAP watcher (ImapWatcher satisfies it; tests pass a fake). */
export interface MailboxHealthSource {
  readonly mailbox: string;
  healthy(): boolean;
  status(): { state?: string; connected?: boolean; lastError?: string; downSinceMs?: number };
}

export interface MailboxAlertsOptions {
  orm: MikroORM;
  watcher: MailboxHealthSource;
  /** behaviour.slack.channels (the task goes to `alerts`). */
  channels: SlackChannels;
  /** false: Slack is off; the task is only listed by the CLI. */
  postToSlack: boolean;
  log: Logger;
  /** How often the health is looked at. Default 5 s (the watcher's own check runs every second). */
  intervalMs?: number;
  /** Label shown in the alert; default the watcher's mailbox name. */
  mailbox?: string;
  /** Called after a commit that enqueued outbox rows (e.g. `() => dispatcher.wake()`). */
  onCommitted?: () => void;
}

export interface MailboxAlerts {
  /** One look at the health now (what the repeating check does); resolves when its database work is done. */
  check(): Promise<void>;
  /** Stops the repeating check and waits for a check in progress. */
  stop(): Promise<void>;
}

export const MAILBOX_ALERT_ACTOR: Actor = { kind: 'system', id: 'mailbox-alerts', name: 'Mailroom' };

async function openAlerts(orm: MikroORM, mailbox: string): Promise<{ id: string; public_id: string }[]> {
  return openMailboxAlertTasks(orm.em.fork(), mailbox);
}

export function startMailboxAlerts(o: MailboxAlertsOptions): MailboxAlerts {
  const mailbox = o.mailbox ?? o.watcher.mailbox;
  const log = o.log.child({ part: 'mailbox-alerts', mailbox });
  /** When this instance first saw the mailbox down without a watcher timestamp (fallback). */
  let firstSeenDownMs: number | undefined;
  /** This instance has seen the mailbox unhealthy since it started (so its recovery is ours to report). */
  let sawDown = false;
  let running: Promise<void> | undefined;
  let stopped = false;

  const raise = async (): Promise<void> => {
    const s = o.watcher.status();
    const downSinceMs = s.downSinceMs ?? (firstSeenDownMs ??= Date.now());
    sawDown = true;
    if ((await openAlerts(o.orm, mailbox)).length > 0) return;
    const since = new Date(downSinceMs).toISOString();
    const problem = s.lastError ?? (s.state ? `not connected (${s.state})` : 'not connected');
    const task: TaskRecord = await o.orm.em.fork().transactional((em) =>
      createTask(
        em,
        {
          kind: 'mailbox-alert',
          title: `Mailbox ${mailbox} unreachable`,
          summary: null,
          channelKey: 'alerts',
          details: { mailbox, problem, since },
          // One alert per outage, even if a staff member closed it while the mailbox is still down.
          dedupeKey: `mailbox-alert:${mailbox}:${downSinceMs}`,
        },
        { channels: o.channels, postToSlack: o.postToSlack },
      ),
    );
    if (task.state === 'open') {
      log.warn({ task: task.publicId, problem, since }, 'mailbox unreachable: alert task created');
      o.onCommitted?.();
    }
  };

  const resolve = async (): Promise<void> => {
    firstSeenDownMs = undefined;
    // A standby instance (waiting for the mailbox lock) is healthy without reaching the mailbox:
    // only close when this instance saw the outage, or is itself connected to the mailbox now.
    if (!sawDown && o.watcher.status().connected !== true) return;
    for (const t of await openAlerts(o.orm, mailbox)) {
      const r = await decideTask(
        o.orm.em.fork(),
        { taskId: t.id, decision: 'done', actor: MAILBOX_ALERT_ACTOR, reason: 'the mailbox is reachable again' },
        { approvers: {}, postToSlack: o.postToSlack },
      );
      if (r.ok) {
        log.info({ task: t.public_id }, 'mailbox reachable again: alert task closed');
        o.onCommitted?.();
      }
    }
    sawDown = false;
  };

  const tick = async (): Promise<void> => {
    try {
      if (o.watcher.healthy()) await resolve();
      else await raise();
    } catch (err) {
      log.error({ err }, 'mailbox alert check failed; trying again on the next tick');
    }
  };

  const check = (): Promise<void> => {
    running ??= tick().finally(() => {
      running = undefined;
    });
    return running;
  };

  const loop = WorkLoop.every(o.intervalMs ?? 5000, () => (stopped ? undefined : check()), (err) => log.error({ err }, 'mailbox alert check failed')).start();

  return {
    check,
    async stop() {
      stopped = true;
      await loop.stop();
      await running;
    },
  };
}
