// The SMTP agent (see smtp-agent.ts). Config in MAILROOM_AGENT (JSON). Lives as long as its
// parent; when the parent goes away it finishes what it started, journaled, and exits.
import pg from 'pg';
import { SmtpDeliverer } from './smtp-transport.ts';
import { DeliveryError } from '../../queue/delivery-error.ts';
import type { OutgoingEmail } from '../outgoing-email.ts';
import type { SmtpAgentOptions } from './smtp-agent.ts';

const o = JSON.parse(process.env.MAILROOM_AGENT ?? '{}') as SmtpAgentOptions;
// Keeps the dispatcher's claims alive (recovery looks for this application_name) until this exits.
const db = new pg.Client({ connectionString: o.databaseUrl, application_name: o.workerId });
// Losing this connection only lets recovery start early; it must not take the agent down.
db.on('error', () => {});
await db.connect();
const smtp = new SmtpDeliverer(o.smtpUrl, { poolSize: o.poolSize, journalFile: o.journalFile });
let inFlight = 0;
const COALESCE_MS = 3;
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

/** A reply to a parent that may have just died: a broken channel must not crash the agent mid-journal. */
function reply(msg: unknown): void {
  if (!process.connected) return;
  process.send!(msg, () => {
    /* the parent is gone; shutdown() follows on 'disconnect' */
  });
}

process.on('disconnect', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => {
  /* the parent decides; we go when it disconnects */
});

/**
 * Replies go back together, a few milliseconds' worth at a time: the SMTP answers arrive one
 * per event-loop turn, and a pipe write per message cost as much as a fifth of the SMTP work.
 */
let replies: unknown[] = [];
function queueReply(r: unknown): void {
  if (replies.length === 0) setTimeout(() => {
    const batch = replies;
    replies = [];
    // The journal first: a parent told "sent" may die at once, and recovery reads the journal.
    smtp.flushJournal();
    reply(batch);
  }, COALESCE_MS);
  replies.push(r);
}

function send(m: { id: number; rowId: string; mail: OutgoingEmail }): void {
  inFlight++;
  smtp
    .deliver({ id: m.rowId, channel: 'email', payload: m.mail as unknown as Record<string, unknown>, messageId: m.mail.messageId, attempts: 1, inDoubt: false, result: null })
    .then(
      (r) => queueReply({ id: m.id, ok: true, result: { response: (r.result as { response?: string })?.response } }),
      (e: unknown) => {
        const err = e instanceof DeliveryError ? e : new DeliveryError(String((e as Error)?.message ?? e), false);
        const code = /^SMTP (\d{3})/.exec(err.message)?.[1];
        queueReply({ id: m.id, ok: false, message: err.message, permanent: err.permanent, code: code ? Number(code) : undefined });
      },
    )
    .finally(() => inFlight--);
}

process.on('message', (m: { send: { id: number; rowId: string; mail: OutgoingEmail }[] } | { idle: true }) => {
  if ('idle' in m) return smtp.idle();
  if (closing) return;
  for (const one of m.send) send(one);
});

reply({ ready: true });
