import { bareNodemailerRate, startSmtpSink, type SmtpSink } from './smtp-sink-client.ts';
import { enqueueEmail, newMessageId } from '../src/outbox/enqueue-store.ts';
import { OutboxDispatcher } from '../src/outbox/dispatcher.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SmtpAgentDeliverer } from '../src/outbox/transports/smtp-agent.ts';
import { DeliveryJournal } from '../src/queue/delivery-journal.ts';
import { silentLogger } from '../src/logging/logger.ts';
import { behaviourSchema } from '../src/config/behaviour-schema.ts';
import { freshDatabase, alternate, AGENT_WARM_UP, SMTP_ROUNDS, type BenchRow } from './bench-context.ts';

const POOL = 5;
const DAEMON = behaviourSchema.parse({}).outbox;

function message(i: number) {
  return {
    from: 'bench@mailroom.test',
    to: [`person${i}@example.com`],
    subject: `Benchmark message ${i}`,
    text: `Hello ${i},\n\n${'This is a line of an ordinary notification email. '.repeat(20)}\n`,
    messageId: newMessageId('mailroom.test'),
  };
}

/**
 * Outbox delivery (claim, send, mark, all through PostgreSQL) against bare nodemailer pooled
 * sending of the same messages to the same local SMTP peer, in the same run.
 */

async function outboxRun(serverUrl: string, peer: SmtpSink, count: number): Promise<number> {
  const db = await freshDatabase(serverUrl, 'mailroom-bench:outbox');
  const journalDir = mkdtempSync(path.join(tmpdir(), 'mailroom-bench-journal-'));
  try {
    // The production path: SMTP through the agent process, acceptances journaled.
    const smtp = await SmtpAgentDeliverer.start({ smtpUrl: peer.url, poolSize: POOL, journalFile: DeliveryJournal.file(journalDir, 'mailroom-bench:outbox'), databaseUrl: db.url, workerId: 'mailroom-bench:outbox' });
    const dispatcher = new OutboxDispatcher({
      em: db.orm.em.fork(),
      deliverers: { email: smtp },
      workerId: 'mailroom-bench:outbox',
      log: silentLogger,
      // The daemon's defaults (the email channel hands each batch to the agent whole).
      batchSize: DAEMON.batchSize,
      concurrency: DAEMON.concurrency,
      pollIntervalMs: 5,
      maxAttempts: 5,
      backoffBaseMs: 100,
      backoffMaxMs: 1000,
      claimTimeoutMs: 60_000,
    });
    const sql = db.orm.em.fork().getConnection();
    const drain = async (n: number) => {
      await db.orm.em.fork().transactional(async (em) => {
        for (let i = 0; i < n; i++) await enqueueEmail(em, message(i));
      });
      const t = performance.now();
      dispatcher.wake();
      for (;;) {
        // An index probe, not a count: the observer must not load the database it measures.
        const [{ busy }] = await sql.execute<{ busy: boolean }[]>(`select exists (select 1 from outbox_message where status in ('pending', 'sending')) as busy`);
        if (!busy) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return performance.now() - t;
    };
    dispatcher.start();
    // A daemon's agent lives for days; one spawned a moment ago runs nodemailer unoptimised.
    // The baseline runs in this (warm) process, so the agent gets the same head start.
    await drain(AGENT_WARM_UP);
    await peer.reset();
    const rate = count / ((await drain(count)) / 1000);
    await dispatcher.stop();
    await smtp.close();
    return rate;
  } finally {
    rmSync(journalDir, { recursive: true, force: true });
    await db.drop();
  }
}

/**
 * Outbox delivery (claim, send, mark, all through PostgreSQL) against bare nodemailer pooled
 * sending of the same messages to the same local SMTP peer. Runs alternate, five of each,
 * and medians are compared, so a burst of load on the shared machine hits both sides.
 */
export async function outboxBench(serverUrl: string, count = 2000): Promise<BenchRow> {
  const peer = await startSmtpSink();
  try {
    const m = await alternate({
      rounds: SMTP_ROUNDS,
      baseline: () => bareNodemailerRate(peer.url, POOL, Array.from({ length: count }, (_, i) => message(i))),
      ours: () => outboxRun(serverUrl, peer, count),
      between: () => peer.expectExactlyAndReset(count),
    });
    const ratio = m.ours / m.baseline;
    return {
      name: `outbox → SMTP (${count} msgs, pool ${POOL}, daemon's batch size ${DAEMON.batchSize}, median of ${SMTP_ROUNDS})`,
      figure: `${m.ours.toFixed(0)} msg/s`,
      baseline: `${m.baseline.toFixed(0)} msg/s bare nodemailer pool`,
      ratio,
      goal: '≥ 0.80×',
      ok: ratio >= 0.8,
    };
  } finally {
    await peer.stop();
  }
}
