import path from 'node:path';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../logging/logger.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { HttpServer } from '../http/http-server.ts';
import { OutboxDispatcher } from '../outbox/dispatcher.ts';
import type { Deliverer } from '../outbox/deliverer.ts';
import { SmtpAgentDeliverer } from '../outbox/transports/smtp-agent.ts';
import { EmlFileDeliverer } from '../outbox/transports/eml-file-transport.ts';
import { DeliveryJournal } from '../queue/delivery-journal.ts';
import { QueueWorker } from '../queue/queue-worker.ts';
import { IngestProcessor } from '../ingest/ingest-processor.ts';
import { RawCache } from '../ingest/raw-cache.ts';
import { createMessageParser, parseWorkerCount } from '../ingest/parse-pool.ts';
import { ImapWatcher, type ImapWatcherDeps } from '../ingest/imap-watcher.ts';
import { imapConnectionFor } from '../ingest/imap-connection.ts';
import type { MailboxConfig } from '../config/mailboxes.ts';
import { createFiler } from '../handlers/file-message.ts';
import { filingDepsFromConfig } from './filing-setup.ts';
import { ActionRegistry } from '../tasks/action-registry.ts';
import { SlackDeliverer } from '../slack/slack-deliverer.ts';
import { createSlackApp } from '../slack/slack-app.ts';
import { describeRecord } from '../records/describe-record.ts';
import { staffActions } from './staff-actions.ts';
import { startMailboxAlerts } from './mailbox-alerts.ts';
import { newInstanceId } from './instance-id.ts';
import { MODULES } from './modules.ts';
import type { ModuleContext } from './module.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { WorkLoop } from '../scheduler/work-loop.ts';
import { systemClock } from '../scheduler/clock.ts';
import { refreshStateGauges } from '../metrics/state-gauges.ts';
import { serviceIdentity } from '../http/service-identity.ts';
import { rekeyLegacySuppression } from '../suppression/suppression-list.ts';
import { ABSENT_CLAIMER_GRACE_MS } from '../db/database-away.ts';
import { pingDatabase } from '../db/database-probes.ts';

export interface Daemon {
  db: Database;
  httpPort: number;
  dispatcher: OutboxDispatcher;
  processor: IngestProcessor;
  /** The first mailbox's watcher (the only one with the IMAP_* shorthand). */
  watcher?: ImapWatcher;
  /** One watcher per mailbox; each leads its mailbox only while it holds that mailbox's lock. */
  watchers: ImapWatcher[];
  stop(): Promise<void>;
}

export function journalDir(config: Config): string {
  return path.join(config.dataDir, 'outbox-journal');
}

/**
 * SMTP goes through the agent process, which outlives a crash of the daemon long enough to
 * record every message the peer accepted; without SMTP_URL, mail becomes .eml files. One agent
 * serves the outbox and the campaign sender, with the connections both used to have apart.
 */
export async function createEmailDeliverer(config: Config, instanceId: string, databaseUrl: string): Promise<Deliverer> {
  return config.env.SMTP_URL
    ? SmtpAgentDeliverer.start({
        smtpUrl: config.env.SMTP_URL,
        poolSize: config.behaviour.outbox.smtpPoolSize + config.behaviour.newsletter.smtpPoolSize,
        journalFile: DeliveryJournal.file(journalDir(config), instanceId),
        databaseUrl,
        workerId: instanceId,
        rows: ['outbox_message', 'newsletter_recipient'],
      })
    : new EmlFileDeliverer(path.join(config.dataDir, 'outbox'));
}

/**
 * The composition root: the one place that reads configuration and wires the concerns
 * together. Each part gets its collaborators passed in, so tests can build any subset.
 */
export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  const instanceId = newInstanceId();
  const db = await openDatabase(config, log, { applicationName: instanceId });
  const metrics = createMetrics({ mailbox: config.mailboxes.length > 0 });
  const stops: (() => Promise<void>)[] = [];
  try {
    // Suppression rows from before the keyed hashes (migration 0014) get their keyed hash for
    // every address still on file; the rest stay honoured under the old hash until seen.
    const rekey = await db.orm.em.fork().transactional((em) => rekeyLegacySuppression(em, config.secret));
    if (rekey.rekeyed || rekey.left) log.info(rekey, 'legacy suppression hashes re-keyed');
    const email = await createEmailDeliverer(config, instanceId, db.url);
    const slackOn = !!config.env.SLACK_BOT_TOKEN;
    const deliverers: Record<string, Deliverer> = { email };
    if (slackOn) {
      deliverers.slack = new SlackDeliverer({ orm: db.orm, token: config.env.SLACK_BOT_TOKEN!, apiUrl: config.env.SLACK_API_URL, log: log.child({ part: 'slack' }) });
    }
    // One worker for both claim queues (outbox, campaign recipients): one agent journal, and
    // the agent told it may empty that journal only when neither queue holds unmarked rows.
    const worker = new QueueWorker({
      workerId: instanceId,
      journalDir: journalDir(config),
      onIdle: () => {
        for (const d of Object.values(deliverers)) d.idle?.();
      },
    });
    const o = config.behaviour.outbox;
    const dispatcher = new OutboxDispatcher({
      em: db.orm.em.fork(),
      deliverers,
      workerId: instanceId,
      worker,
      log: log.child({ part: 'outbox' }),
      metrics,
      ...o,
      absentGraceMs: ABSENT_CLAIMER_GRACE_MS,
    });
    // Started once the campaign sender has joined the worker too (see queue-worker.ts).
    stops.push(async () => {
      await dispatcher.stop();
      for (const d of Object.values(deliverers)) await d.close?.();
      worker.removeJournal();
    });
    /** What approvals run; the privacy and broadcast concerns register theirs here. */
    const actions = new ActionRegistry();

    const filingDeps = filingDepsFromConfig(config);
    const watchers: ImapWatcher[] = [];
    const rawCache = new RawCache();
    const parser = createMessageParser(parseWorkerCount(config.behaviour.ingest.parseWorkers));
    stops.push(() => parser.close());
    const processor = new IngestProcessor({
      rawCache,
      parser,
      orm: db.orm,
      log: log.child({ part: 'ingest' }),
      metrics,
      file: createFiler(filingDeps),
      maxAttempts: config.behaviour.ingest.maxAttempts,
      ownDomains: config.behaviour.organisation.ownDomains,
      messageIdDomain: config.messageIdDomain,
      workerId: instanceId,
      onFiled: () => {
        dispatcher.wake();
        for (const w of watchers) w.requestServerActions();
      },
    });
    processor.start();
    stops.push(() => processor.stop());

    for (const [k, mailbox] of config.mailboxes.entries()) {
      // Instances share the mailboxes: a watcher defers its lock try by one poll per mailbox its
      // instance already leads, and the k-th starts k polls late so that this counts at start too.
      const share = {
        ledElsewhere: () => watchers.filter((w) => w !== watcher && w.status().holdsLock).length,
        firstTryAfterPolls: k,
      };
      const watcher: ImapWatcher = createImapWatcher(config, mailbox, db, log, metrics, instanceId, rawCache, (ids, fresh) => (fresh ? processor.expedite(ids) : processor.wake()), { busy: () => processor.draining, onAnnounced: () => processor.announced() }, share);
      watchers.push(watcher);
      watcher.start();
      stops.push(() => watcher.stop());
      // Mail another instance filed gets its after-filing action (keyword or move) from the
      // mailbox leader, which is not told of it: the leader looks every few seconds (one query
      // on a partial index when there is nothing to do; a no-op on an instance not leading).
      const actionsPoll = WorkLoop.every(2_000, () => watcher.requestServerActions(), (err) => log.error({ err }, 'after-filing poll failed')).start();
      stops.push(() => actionsPoll.stop());
      const mailboxAlerts = startMailboxAlerts({
        orm: db.orm,
        watcher,
        channels: config.behaviour.slack.channels,
        postToSlack: slackOn,
        log,
        intervalMs: config.behaviour.ingest.alertCheckIntervalMs,
        onCommitted: () => dispatcher.wake(),
      });
      stops.push(async () => mailboxAlerts.stop());
    }
    if (watchers.length === 0) log.info('IMAP_HOST not set and no mailboxes configured: not watching a mailbox (use `mailroom import` to file mail)');

    const http = new HttpServer({
      port: config.env.HTTP_PORT,
      host: config.env.HTTP_HOST,
      log: log.child({ part: 'http' }),
      readiness: [
        {
          name: 'database',
          check: async () => {
            await pingDatabase(db.orm.em.fork());
            return { ok: true };
          },
        },
        // One line per mailbox; with the IMAP_* shorthand it is called `mailbox`, as it always was.
        ...watchers.map((w) => ({
          name: config.behaviour.mailboxes ? `mailbox ${w.mailbox}` : 'mailbox',
          check: async () => {
            const s = w.status();
            return { ok: w.healthy(), detail: s.lastError ? `${s.state}: ${s.lastError}` : s.state };
          },
        })),
      ],
      health: serviceIdentity(config.secret),
      metricsText: async () => {
        await refreshStateGauges(db.orm.em.fork(), metrics);
        return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
      },
    });
    if (slackOn) {
      const slack = createSlackApp({
        orm: db.orm,
        botToken: config.env.SLACK_BOT_TOKEN!,
        signingSecret: config.env.SLACK_SIGNING_SECRET,
        appToken: config.env.SLACK_APP_TOKEN,
        apiUrl: config.env.SLACK_API_URL,
        approvers: config.behaviour.slack.approvers,
        actions,
        route: (m, p, h) => http.route(m, p, h),
        callbacks: { ...staffActions(filingDeps), describeRecord: (id) => describeRecord(db.orm.em.fork(), id) },
        log: log.child({ part: 'slack' }),
        onCommitted: () => dispatcher.wake(),
      });
      await slack.start();
      stops.push(() => slack.stop());
    }
    // Scheduled work (reminders, notices, campaigns) registers here; started last, so every
    // job finds its collaborators running.
    const scheduler = new Scheduler({ clock: systemClock, log: log.child({ part: 'scheduler' }) });
    const ctx: ModuleContext = {
      config,
      db,
      orm: db.orm,
      log,
      metrics,
      email,
      worker,
      actions,
      scheduler,
      clock: systemClock,
      route: (m, p, h) => http.route(m, p, h),
      privacy: filingDeps.privacy!,
      onCommitted: () => dispatcher.wake(),
    };
    for (const module of MODULES) {
      const running = await module.start?.(ctx);
      if (running) stops.push(() => running.stop());
    }
    // Only now: the campaign sender has joined the queue worker (see queue-worker.ts).
    dispatcher.start();
    const httpPort = await http.listen();
    await scheduler.start();
    stops.push(() => scheduler.stop());
    stops.push(() => http.close());
    log.info({ httpPort, database: config.embeddedDatabase ? 'embedded' : 'external', mail: config.env.SMTP_URL ? 'smtp' : 'eml files' }, 'mailroom started');

    return {
      db,
      httpPort,
      dispatcher,
      processor,
      watcher: watchers[0],
      watchers,
      async stop() {
        for (const stop of stops.reverse()) {
          await stop().catch((e) => log.error({ err: e }, 'error while stopping'));
        }
        await db.close();
        log.info('mailroom stopped');
      },
    };
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await db.close();
    throw e;
  }
}

/** One mailbox's watcher; password or OAuth2 (XOAUTH2) login. */
function createImapWatcher(
  config: Config,
  mailbox: MailboxConfig,
  db: Database,
  log: Logger,
  metrics: ReturnType<typeof createMetrics>,
  instanceId: string,
  rawCache: RawCache,
  onStored: (ids: string[], fresh?: boolean) => void,
  pipeline: Pick<ImapWatcherDeps, 'busy' | 'onAnnounced'>,
  share: { ledElsewhere: () => number; firstTryAfterPolls: number },
): ImapWatcher {
  const i = config.behaviour.ingest;
  return new ImapWatcher({
    orm: db.orm,
    connection: imapConnectionFor(mailbox),
    mailbox: mailbox.folder,
    name: mailbox.name,
    log: log.child({ part: 'imap' }),
    metrics,
    options: {
      idleDelayMs: i.idleDelayMs,
      socketTimeoutMs: i.socketTimeoutMs,
      watchdogIntervalMs: i.watchdogIntervalMs,
      alertAfterMs: i.alertAfterMs,
      backoffMaxMs: i.reconnectMaxMs,
      afterFiling: mailbox.afterFiling,
      keyword: mailbox.keyword,
      moveTo: mailbox.moveTo,
      archiveMode: mailbox.archiveMode,
    },
    onStored,
    ...pipeline,
    rawCache,
    lockUrl: db.url,
    instanceName: instanceId,
    ...share,
  });
}
