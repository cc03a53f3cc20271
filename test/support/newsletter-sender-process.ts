// A campaign sender in a process of its own, so a test can kill -9 it mid-send.
// argv: <databaseUrl> <smtpUrl> <workerId> <journalDir>; NL_CONFIG: JSON overrides.
import { openOrm } from '../../src/db/orm.ts';
import { CampaignSender } from '../../src/newsletter/campaign-sender.ts';
import { DelivererTransport } from '../../src/newsletter/transport.ts';
import { SmtpAgentDeliverer } from '../../src/outbox/transports/smtp-agent.ts';
import { DeliveryJournal } from '../../src/queue/delivery-journal.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { testNewsletterDeps } from './newsletter-helpers.ts';

const [url, smtpUrl, workerId, journalDir] = process.argv.slice(2) as [string, string, string, string];
const orm = await openOrm({ url, applicationName: workerId });
const deps = testNewsletterDeps('http://127.0.0.1:9', JSON.parse(process.env.NL_CONFIG ?? '{}'));
const transport = new DelivererTransport(await SmtpAgentDeliverer.start({ smtpUrl, poolSize: 4, journalFile: DeliveryJournal.file(journalDir, workerId), databaseUrl: url, workerId }));
const sender = new CampaignSender({ em: orm.em.fork(), deps, transport, workerId, journalDir, log: silentLogger, batchSize: 50, pollIntervalMs: 50 });
sender.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void sender.stop().then(() => orm.close(true)).then(() => process.exit(0)));
