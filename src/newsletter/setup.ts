/**
 * Wiring for the composition root (src/app/daemon.ts): builds the newsletter's collaborators from
 * the validated configuration, mounts its routes, registers the 'broadcast' approval and the
 * scheduler job, and starts the campaign sender. Returns a stop function.
 */
import path from 'node:path';
import type { Config } from '../config/load-config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { RouteHandler } from '../http/http-server.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import { TemplateRenderer } from '../templates/render-template.ts';
import type { Deliverer } from '../outbox/deliverer.ts';
import type { QueueWorker } from '../queue/queue-worker.ts';
import { enqueue } from '../outbox/enqueue-store.ts';
import { CampaignSender } from './campaign-sender.ts';
import { DelivererTransport } from './transport.ts';
import { mountNewsletterRoutes } from './routes.ts';
import { campaignStats, chartUrl, registerBroadcastAction, startDueCampaigns } from './campaigns.ts';
import { ensureLists } from './subscribers.ts';
import { campaignSummaryMessage } from './summary-message.ts';
import type { NewsletterDeps } from './deps.ts';
import { senderDeps } from '../mail/senders.ts';
import { ABSENT_CLAIMER_GRACE_MS } from '../db/database-away.ts';

export function newsletterDepsFromConfig(config: Config): NewsletterDeps {
  return {
    secret: config.secret,
    publicUrl: (config.env.PUBLIC_URL ?? `http://localhost:${config.env.HTTP_PORT}`).replace(/\/+$/, ''),
    ...senderDeps(config.senders.newsletter),
    orgName: config.behaviour.organisation.name,
    messageIdDomain: config.messageIdDomain,
    config: config.behaviour.newsletter,
    templates: new TemplateRenderer(path.resolve(path.dirname(config.configFile), 'templates')),
    slack: { channels: config.behaviour.slack.channels, postToSlack: !!config.env.SLACK_BOT_TOKEN },
  };
}

export interface NewsletterWiring {
  config: Config;
  db: Database;
  log: Logger;
  metrics?: Metrics;
  /** The daemon's email deliverer (the one SMTP agent, or .eml files), shared with the outbox. */
  email: Deliverer;
  /** The daemon's queue worker, shared with the outbox (one journal, rows in hand across both). */
  worker: QueueWorker;
  route: (method: string, path: string, handler: RouteHandler) => void;
  actions: ActionRegistry;
  scheduler: Scheduler;
  /** Wakes the outbox dispatcher after a commit that enqueued mail. */
  onCommitted: () => void;
}

export async function startNewsletter(w: NewsletterWiring): Promise<{ sender: CampaignSender; stop(): Promise<void> }> {
  const deps = newsletterDepsFromConfig(w.config);
  const log = w.log.child({ part: 'newsletter' });
  await w.db.orm.em.fork().transactional((em) => ensureLists(em, deps.config.lists));
  mountNewsletterRoutes(w.route, { orm: w.db.orm, deps, log, onCommitted: w.onCommitted });
  registerBroadcastAction(w.actions);
  const sender = new CampaignSender({
    em: w.db.orm.em.fork(),
    deps,
    transport: new DelivererTransport(w.email, { shared: true }),
    workerId: w.worker.workerId,
    worker: w.worker,
    absentGraceMs: ABSENT_CLAIMER_GRACE_MS,
    log,
    metrics: w.metrics,
    onFinished: async (id) => {
      // The summary with its chart goes to staff (Slack when configured). Slack fetches the
      // image from the daemon's public URL, as subscribers' mail clients fetch the pixel.
      const em = w.db.orm.em.fork();
      const s = await campaignStats(em, id);
      if (s && deps.slack.postToSlack) {
        await enqueue(em, 'slack', campaignSummaryMessage(s, deps.slack.channels.sales, chartUrl(deps, id, 'png')), { dedupeKey: `campaign-summary:${id}` });
        w.onCommitted();
      }
    },
  });
  w.scheduler.every('newsletter-campaigns', deps.config.scheduleCron, async (now) => {
    const started = await w.db.orm.em.fork().transactional((em) => startDueCampaigns(em, now));
    if (started.length) {
      log.info({ campaigns: started }, 'campaigns started');
      sender.wake();
    }
  });
  sender.start();
  return { sender, stop: () => sender.stop() };
}
