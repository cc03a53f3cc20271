// A dispatcher in a process of its own, so a test can kill -9 it mid-batch.
// argv: <databaseUrl> <smtpUrl> <workerId> <journalDir>; SMTP goes through the agent process, as in the daemon.
import { openOrm } from '../../src/db/orm.ts';
import { OutboxDispatcher } from '../../src/outbox/dispatcher.ts';
import { SmtpAgentDeliverer } from '../../src/outbox/transports/smtp-agent.ts';
import { DeliveryJournal } from '../../src/queue/delivery-journal.ts';
import { silentLogger } from '../../src/logging/logger.ts';

const [url, smtpUrl, workerId, journalDir] = process.argv.slice(2) as [string, string, string, string];
const orm = await openOrm({ url, applicationName: workerId });
const dispatcher = new OutboxDispatcher({
  em: orm.em.fork(),
  deliverers: { email: await SmtpAgentDeliverer.start({ smtpUrl, poolSize: 4, journalFile: DeliveryJournal.file(journalDir, workerId), databaseUrl: url, workerId }) },
  workerId,
  log: silentLogger,
  batchSize: 20,
  concurrency: 8,
  pollIntervalMs: 50,
  maxAttempts: 10,
  backoffBaseMs: 50,
  backoffMaxMs: 500,
  claimTimeoutMs: 60_000,
  journalDir,
});
dispatcher.start();
process.stdout.write('ready\n');
