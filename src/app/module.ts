import type { Config } from '../config/load-config.ts';
import type { Database } from '../db/database.ts';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Deliverer } from '../outbox/deliverer.ts';
import type { QueueWorker } from '../queue/queue-worker.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import type { Clock } from '../scheduler/clock.ts';
import type { RouteHandler } from '../http/http-server.ts';
import type { CoverageEntry } from '../privacy/coverage.ts';
import type { PrivacyEffects } from '../privacy/effects.ts';
import type { PrivacyDeps } from '../privacy/case-service.ts';

/**
 * What the composition root hands a domain module when the daemon starts: the shared
 * platform (database, queue worker and mail deliverer, scheduler, HTTP routes, approval
 * actions) and what the other modules contributed through their hooks (`privacy`).
 */
export interface ModuleContext {
  config: Config;
  db: Database;
  orm: Orm;
  log: Logger;
  metrics: Metrics;
  /** The one email deliverer (SMTP agent or .eml files), shared with the outbox. */
  email: Deliverer;
  /** The one claim-queue worker (outbox and campaign sends: one journal). */
  worker: QueueWorker;
  /** Approval actions staff run from Slack or `mailroom tasks approve`. */
  actions: ActionRegistry;
  scheduler: Scheduler;
  clock: Clock;
  route: (method: string, path: string, handler: RouteHandler) => void;
  /** The privacy deps with every module's coverage and effects (privacyDepsWithEffects). */
  privacy: PrivacyDeps;
  /** Wakes the outbox after a commit that queued mail or Slack posts. */
  onCommitted: () => void;
}

/**
 * One domain module as the composition root registers it (Ghost's small named services,
 * wired in one place). Modules never import each other's internals to cooperate: privacy
 * asks every registered module what it holds on a person (`privacyCoverage`) and what to do
 * when someone objects, unsubscribes, is erased or corrected (`privacyEffects`); everything
 * else a module offers (approval actions, scheduled jobs, HTTP routes, workers) it registers
 * in `start`. The object is plain data, checked structurally here, so a module's folder does
 * not import the composition root.
 */
export interface MailroomModule {
  name: string;
  privacyCoverage?: CoverageEntry[];
  privacyEffects?: (config: Config) => PrivacyEffects;
  /** Registers actions, jobs, routes and workers; what it returns is stopped with the daemon. */
  start?: (ctx: ModuleContext) => Promise<ModuleRunning | void> | ModuleRunning | void;
}

export interface ModuleRunning {
  stop(): Promise<void>;
}
