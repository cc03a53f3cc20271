import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxDispatcher, type DispatcherOptions } from '../../src/outbox/dispatcher.ts';
import { enqueueEmail, newMessageId } from '../../src/outbox/enqueue-store.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import type { Orm } from '../../src/db/orm.ts';

export function makeDispatcher(orm: Orm, over: Partial<DispatcherOptions> & Pick<DispatcherOptions, 'deliverers' | 'workerId'>): OutboxDispatcher {
  return new OutboxDispatcher({
    em: orm.em.fork(),
    log: silentLogger,
    batchSize: 20,
    concurrency: 4,
    pollIntervalMs: 50,
    maxAttempts: 5,
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    claimTimeoutMs: 60_000,
    ...over,
  });
}

export async function enqueueTestEmails(orm: Orm, count: number, tag = 'test'): Promise<string[]> {
  const ids: string[] = [];
  await orm.em.fork().transactional(async (em: EntityManager) => {
    for (let i = 0; i < count; i++) {
      const messageId = newMessageId('mailroom.test');
      ids.push(messageId);
      await enqueueEmail(em, {
        from: 'bot@mailroom.test',
        to: [`person${i}@example.com`],
        subject: `${tag} ${i}`,
        text: `Hello ${i}`,
        messageId,
      });
    }
  });
  return ids;
}

export async function outboxStatusCounts(orm: Orm): Promise<Record<string, number>> {
  const rows = await orm.em.fork().getConnection().execute<{ status: string; n: string }[]>(
    'select status, count(*) as n from outbox_message group by status',
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Polls until `check` is true or the attempts run out; every wait in a test is bounded. */
export async function until(check: () => Promise<boolean> | boolean, opts: { tries?: number; everyMs?: number } = {}): Promise<void> {
  const tries = opts.tries ?? 600;
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 50));
  }
  throw new Error('condition not reached');
}
