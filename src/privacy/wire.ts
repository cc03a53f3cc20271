/**
 * Privacy wiring for the composition root (src/app/daemon.ts calls `wirePrivacy`).
 * Registers the approval actions, the scheduled jobs and the two public link routes.
 */
import path from 'node:path';
import type { Config } from '../config/load-config.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import { systemClock, type Clock } from '../scheduler/clock.ts';
import { TemplateRenderer } from '../templates/render-template.ts';
import { privacyActions, type PrivacyDeps } from './case-service.ts';
import { mountPrivacyRoutes } from './http.ts';
import { runReminders, runRetention } from './jobs.ts';
import type { Resolver } from './identity.ts';
import { senderDeps } from '../mail/senders.ts';
import { mergeCoverage, type CoverageEntry } from './coverage.ts';

/**
 * The privacy concern's deps from the configuration. `coverage` is the other concerns' entries
 * (src/app/privacy-setup.ts hands them in); without them only the core tables are covered.
 */
export function privacyDepsFromConfig(
  config: Config,
  over: { clock?: Clock; resolver?: Resolver; templates?: TemplateRenderer; coverage?: CoverageEntry[][] } = {},
): PrivacyDeps {
  const b = config.behaviour;
  return {
    config: b.privacy,
    secret: config.secret,
    publicUrl: (config.env.PUBLIC_URL ?? `http://localhost:${config.env.HTTP_PORT}`).replace(/\/+$/, ''),
    ...senderDeps(config.senders.privacy),
    orgName: b.organisation.name,
    messageIdDomain: config.messageIdDomain,
    prefix: b.ids.privacyPrefix,
    templates: over.templates ?? new TemplateRenderer(path.resolve(path.dirname(config.configFile), 'templates')),
    channels: b.slack.channels,
    postToSlack: !!config.env.SLACK_BOT_TOKEN,
    clock: over.clock ?? systemClock,
    coverage: mergeCoverage(...(over.coverage ?? [])),
    senderCheck: { trustedAuthservId: b.privacy.trustedAuthservId, ...(over.resolver ? { resolver: over.resolver } : {}) },
  };
}

/** Registers 'data-export', 'erasure' and 'rectification' (approve and reject) on a registry. */
export function registerPrivacyActions(actions: ActionRegistry, deps: PrivacyDeps): void {
  const a = privacyActions(deps);
  actions.register('data-export', a.dataExport, { onReject: a.reject });
  actions.register('erasure', a.erasure, { onReject: a.reject });
  actions.register('rectification', a.rectification, { onReject: a.reject });
}

export interface WirePrivacyInput {
  orm: Orm;
  deps: PrivacyDeps;
  actions: ActionRegistry;
  scheduler?: Scheduler;
  /** `(m, p, h) => http.route(m, p, h)` */
  route?: Parameters<typeof mountPrivacyRoutes>[0];
  log: Logger;
  /** Wakes the outbox after a commit that queued mail or Slack posts. */
  onCommitted?: () => void;
}

export function wirePrivacy(w: WirePrivacyInput): void {
  registerPrivacyActions(w.actions, w.deps);
  if (w.route) mountPrivacyRoutes(w.route, { orm: w.orm, deps: w.deps, onCommitted: w.onCommitted });
  if (w.scheduler) {
    // Hourly: a reminder is a calendar-day matter; the table makes each fire once.
    w.scheduler.every('privacy-reminders', '7 * * * *', async (now) => {
      const r = await w.orm.em.fork().transactional((em) => runReminders(em, now, w.deps));
      if (r.sent.length) {
        w.log.info({ reminders: r.sent }, 'privacy reminders queued');
        w.onCommitted?.();
      }
    });
    w.scheduler.every('privacy-retention', '17 3 * * *', async (now) => {
      const r = await w.orm.em.fork().transactional((em) => runRetention(em, now, w.deps));
      if (r.deleted) w.log.info({ deleted: r.deleted }, 'orders past their bookkeeping period deleted');
    });
  }
}
