/**
 * For end-to-end tests that only need "a customer writes to support and gets a ticket": a plain
 * mail to the support address (routed to support, so it is acknowledged) and a wait until the
 * daemon has filed a number of messages.
 */
import type { Orm } from '../../src/db/orm.ts';
import { countOf, sqlFor, waitUntil } from './e2e-helpers.ts';

export function supportMail(o: { messageId: string; from: string; subject: string; body: string }): string {
  // Written to the support address, which lands in the shared mailbox as well.
  return [`From: ${o.from}`, 'To: support@infracomfort.example', `Subject: ${o.subject}`, `Message-ID: <${o.messageId}>`, `Date: ${new Date().toUTCString()}`, 'Content-Type: text/plain; charset=utf-8', '', o.body.replace(/\n/g, '\r\n'), ''].join('\r\n');
}

/** Waits until at least `n` inbound messages are filed; the error shows them and `context()`. */
export async function waitForFiled(orm: Orm, n: number, context: () => string = () => ''): Promise<void> {
  await waitUntil(`${n} messages filed`, async () => (await countOf(orm, `select count(*) from inbound_message where state = 'filed'`)) >= n, {
    timeoutMs: 90_000,
    describe: async () => JSON.stringify(await sqlFor(orm)('select id, state, outcome, last_error from inbound_message order by id')) + '\n' + context(),
  });
}
