// The SMTP helper of the campaign sender (see transport.ts). Config in MAILROOM_AGENT (JSON).
// Lives as long as its parent; when the parent goes away it finishes what it started and exits.
import pg from 'pg';
import { SmtpDeliverer, classifySmtpError } from '../outbox/transports/smtp-transport.ts';
import { DeliveryError } from '../outbox/delivery-error.ts';
import type { OutgoingEmail } from '../outbox/outgoing-email.ts';
import type { SmtpAgentOptions } from './transport.ts';

void classifySmtpError;
const o = JSON.parse(process.env.MAILROOM_AGENT ?? '{}') as SmtpAgentOptions;
// Holds the sender's claims alive (see the recovery query in campaign-sender.ts) until this exits.
const db = new pg.Client({ connectionString: o.databaseUrl, application_name: o.workerId });
await db.connect();
const smtp = new SmtpDeliverer(o.smtpUrl, { poolSize: o.poolSize, journalFile: o.journalFile });
let inFlight = 0;
let closing = false;

async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  const deadline = Date.now() + 120_000;
  while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await smtp.close().catch(() => {});
  await db.end().catch(() => {});
  process.exit(0);
}

process.on('disconnect', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => {
  /* the parent decides; we go when it disconnects */
});

process.on('message', (m: { id: number; rowId: string; mail: OutgoingEmail } | { idle: true }) => {
  if ('idle' in m) return smtp.idle();
  if (closing) return;
  inFlight++;
  smtp
    .deliver({ id: m.rowId, channel: 'email', payload: m.mail as unknown as Record<string, unknown>, messageId: m.mail.messageId, attempts: 1, inDoubt: false, result: null })
    .then(
      (r) => process.connected && process.send!({ id: m.id, ok: true, result: { response: (r.result as { response?: string })?.response } }),
      (e: unknown) => {
        const err = e instanceof DeliveryError ? e : new DeliveryError(String((e as Error)?.message ?? e), false);
        const code = /^SMTP (\d{3})/.exec(err.message)?.[1];
        if (process.connected) process.send!({ id: m.id, ok: false, message: err.message, permanent: err.permanent, code: code ? Number(code) : undefined });
      },
    )
    .finally(() => inFlight--);
});

process.send!({ ready: true });
