import path from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../logging/logger.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { HttpServer } from '../http/http-server.ts';
import { OutboxDispatcher } from '../outbox/dispatcher.ts';
import type { Deliverer } from '../outbox/deliverer.ts';
import { SmtpDeliverer } from '../outbox/transports/smtp-transport.ts';
import { EmlFileDeliverer } from '../outbox/transports/eml-file-transport.ts';
import { DeliveryJournal } from '../outbox/delivery-journal.ts';

export interface Daemon {
  db: Database;
  httpPort: number;
  dispatcher: OutboxDispatcher;
  stop(): Promise<void>;
}

export function newInstanceId(): string {
  return `mailroom:${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export function journalDir(config: Config): string {
  return path.join(config.dataDir, 'outbox-journal');
}

export function createEmailDeliverer(config: Config, instanceId: string): Deliverer {
  return config.env.SMTP_URL
    ? new SmtpDeliverer(config.env.SMTP_URL, {
        poolSize: config.behaviour.outbox.smtpPoolSize,
        journalFile: DeliveryJournal.file(journalDir(config), instanceId),
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
  const metrics = createMetrics();
  const stops: (() => Promise<void>)[] = [];
  try {
    const email = createEmailDeliverer(config, instanceId);
    const o = config.behaviour.outbox;
    const dispatcher = new OutboxDispatcher({
      em: db.orm.em.fork(),
      deliverers: { email },
      workerId: instanceId,
      log: log.child({ part: 'outbox' }),
      metrics,
      ...o,
      journalDir: journalDir(config),
    });
    dispatcher.start();
    stops.push(async () => {
      await dispatcher.stop();
      await email.close?.();
    });

    const http = new HttpServer({
      port: config.env.HTTP_PORT,
      host: config.env.HTTP_HOST,
      log: log.child({ part: 'http' }),
      readiness: [
        {
          name: 'database',
          check: async () => {
            await db.orm.em.fork().getConnection().execute('select 1');
            return { ok: true };
          },
        },
      ],
      metricsText: async () => {
        const counts = await db.orm.em
          .fork()
          .getConnection()
          .execute<{ status: string; n: string }[]>('select status, count(*) as n from outbox_message group by status');
        metrics.outboxPending.reset();
        for (const c of counts) metrics.outboxPending.set({ status: c.status }, Number(c.n));
        return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
      },
    });
    const httpPort = await http.listen();
    stops.push(() => http.close());
    log.info({ httpPort, database: config.embeddedDatabase ? 'embedded' : 'external', mail: config.env.SMTP_URL ? 'smtp' : 'eml files' }, 'mailroom started');

    return {
      db,
      httpPort,
      dispatcher,
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
