import path from 'node:path';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../logging/logger.ts';
import type { Orm } from '../db/orm.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import type { Clock } from '../scheduler/clock.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import { TemplateRenderer } from '../templates/render-template.ts';
import { runNoticeJob, type NoticeJobDeps } from './notice-job.ts';
import { registerNoticeAction } from './notice-service.ts';
import { senderDeps } from '../mail/senders.ts';

/** Everything the notices concern needs, from the validated configuration. */
export function noticeDepsFromConfig(config: Config, o: { log: Logger; onCommitted?: () => void; templates?: TemplateRenderer }): NoticeJobDeps {
  return {
    notices: config.behaviour.notices,
    templates: o.templates ?? new TemplateRenderer(path.resolve(path.dirname(config.configFile), 'templates')),
    secret: config.secret,
    messageIdDomain: config.messageIdDomain,
    ...senderDeps(config.senders.notices),
    orgName: config.behaviour.organisation.name,
    channels: config.behaviour.slack.channels,
    postToSlack: !!config.env.SLACK_BOT_TOKEN,
    log: o.log,
    onCommitted: o.onCommitted,
  };
}

/** The scheduler job ('notices', every notices.checkCron) that sends what is due. */
export function registerNoticeJob(scheduler: Scheduler, orm: Orm, deps: NoticeJobDeps): void {
  scheduler.every('notices', deps.notices.checkCron, async (now) => {
    await runNoticeJob(orm, now, deps);
  });
}

/** Daemon wiring in one call: the scheduler job and the 'notice' approval action. */
export function setupNotices(o: { config: Config; orm: Orm; scheduler: Scheduler; actions: ActionRegistry; clock: Clock; log: Logger; onCommitted?: () => void }): NoticeJobDeps {
  const deps = noticeDepsFromConfig(o.config, { log: o.log, onCommitted: o.onCommitted });
  registerNoticeJob(o.scheduler, o.orm, deps);
  registerNoticeAction(o.actions, { ...deps, now: () => o.clock.now() });
  return deps;
}
