// The SMTP agent (see smtp-agent.ts). Config in MAILROOM_AGENT (JSON). Lives as long as its
// parent; when the parent goes away it finishes what it started, journaled, and exits.
import pg from 'pg';
import { SmtpDeliverer } from './smtp-transport.ts';
import { DeliveryError } from '../../queue/delivery-error.ts';
import type { OutgoingEmail } from '../outgoing-email.ts';
import type { SmtpAgentOptions } from './smtp-agent.ts';
import { rowsOf, writeHandover } from './agent-handover-store.ts';

const o = JSON.parse(process.env.MAILROOM_AGENT ?? '{}') as SmtpAgentOptions;
const smtp = new SmtpDeliverer(o.smtpUrl, { poolSize: o.poolSize, journalFile: o.journalFile });
/** Rows handed over whose SMTP transaction is open. */
const inFlight = new Set<string>();
/** Rows the peer accepted since the claimer last said it had recorded everything (idle). */
const accepted = new Set<string>();
const COALESCE_MS = 3;
let closing = false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Keeps the dispatcher's claims alive (recovery looks for this application_name) until this
 * exits. A lost connection (a database restart) is opened again: without it, another instance
 * would take these rows back while the peer may still be taking them.
 */
let db: pg.Client | undefined;
async function session(): Promise<pg.Client> {
  if (db) return db;
  const client = new pg.Client({ connectionString: o.databaseUrl, application_name: o.workerId, connectionTimeoutMillis: 5_000 });
  const lost = () => {
    if (db !== client) return;
    db = undefined;
    reconnectSoon();
  };
  // Losing this connection must not take the agent down.
  client.on('error', lost);
  client.on('end', lost);
  try {
    await client.connect();
  } catch (e) {
    client.end().catch(() => {});
    throw e;
  }
  db = client;
  return client;
}
function reconnectSoon(): void {
  if (!closing) setTimeout(() => void session().catch(reconnectSoon), 1_000).unref();
}
await session();

/** Writes what became of the claimed rows of each table, retrying while the database is away (bounded). */
async function handover(): Promise<void> {
  for (const table of o.rows ?? []) {
    const fates = { accepted: rowsOf(table, accepted), inFlight: rowsOf(table, inFlight) };
    for (let attempt = 1; attempt <= 30; attempt++) {
      try {
        await writeHandover(await session(), table, o.workerId, fates);
        break;
      } catch (e) {
        process.stderr.write(`smtp agent: recording ${table} fates failed (${(e as Error).message}); retrying\n`);
        db?.end().catch(() => {});
        db = undefined;
        await sleep(1_000);
      }
    }
  }
}

async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  const deadline = Date.now() + 120_000;
  while (inFlight.size > 0 && Date.now() < deadline) await sleep(20);
  await smtp.close().catch(() => {});
  // On a clean stop the claimer recorded everything already and this changes no row.
  await handover();
  await db?.end().catch(() => {});
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
  inFlight.add(m.rowId);
  smtp
    .deliver({ id: m.rowId, channel: 'email', payload: m.mail as unknown as Record<string, unknown>, messageId: m.mail.messageId, attempts: 1, inDoubt: false, result: null })
    .then(
      (r) => {
        accepted.add(m.rowId);
        queueReply({ id: m.id, ok: true, result: { response: (r.result as { response?: string })?.response } });
      },
      (e: unknown) => {
        const err = e instanceof DeliveryError ? e : new DeliveryError(String((e as Error)?.message ?? e), false);
        const code = /^SMTP (\d{3})/.exec(err.message)?.[1];
        queueReply({ id: m.id, ok: false, message: err.message, permanent: err.permanent, code: code ? Number(code) : undefined });
      },
    )
    .finally(() => inFlight.delete(m.rowId));
}

process.on('message', (m: { send: { id: number; rowId: string; mail: OutgoingEmail }[] } | { idle: true }) => {
  if ('idle' in m) {
    accepted.clear();
    return smtp.idle();
  }
  if (closing) return;
  for (const one of m.send) send(one);
});

reply({ ready: true });
