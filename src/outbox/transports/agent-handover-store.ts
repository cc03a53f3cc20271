/**
 * What an SMTP agent writes to the database when the process that claimed its rows is gone
 * (kill -9): rows the peer accepted are sent, rows it never got or that failed go back to the
 * queue, and rows still in flight are left as they are (recovery marks them in doubt).
 *
 * The journal (delivery-journal.ts) tells the same story, but only to a dispatcher on the same
 * host that can read the file. Another host sharing the database sees a dead worker's rows and
 * nothing else (an outbox agent speaks only for the 'email' channel: the claimer's Slack rows
 * are left to recovery, which flags them in doubt). Written here, under the dead worker's own database session (which keeps other
 * instances' recovery away until it ends), the fates need no file at all.
 */
export type HandoverTable = 'outbox_message' | 'newsletter_recipient';

/**
 * How a table's rows are named to the one agent and in its journal (its claim queue's
 * journalPrefix): the two tables' ids overlap. The outbox's is empty, so journals written before
 * the queues shared an agent still read right.
 */
export const ROW_KEY_PREFIX: Record<HandoverTable, string> = { outbox_message: '', newsletter_recipient: 'newsletter:' };

/** The row ids of `table` among an agent's row keys. */
export function rowsOf(table: HandoverTable, keys: Iterable<string>): string[] {
  const prefix = ROW_KEY_PREFIX[table];
  const out: string[] = [];
  for (const k of keys) {
    if (prefix ? k.startsWith(prefix) : !k.includes(':')) out.push(k.slice(prefix.length));
  }
  return out;
}

export interface Handover {
  /** Rows the peer accepted since the claimer last said everything was recorded. */
  accepted: string[];
  /** Rows whose SMTP transaction is still open: their fate is unknown. */
  inFlight: string[];
}

interface Query {
  query(text: string, values: unknown[]): Promise<{ rowCount: number | null }>;
}

const STATEMENTS: Record<HandoverTable, { sent: string; requeue: string }> = {
  outbox_message: {
    sent: `update outbox_message set status = 'sent', sent_at = now(), result = '{"recordedByAgent":true}', last_error = null, updated_at = now()
            where status = 'sending' and channel = 'email' and claimed_by = $1 and id = any($2::bigint[])`,
    requeue: `update outbox_message set status = 'pending', claimed_by = null, updated_at = now()
               where status = 'sending' and channel = 'email' and claimed_by = $1 and not (id = any($2::bigint[]))`,
  },
  newsletter_recipient: {
    sent: `update newsletter_recipient set status = 'sent', sent_at = now(), last_error = null
            where status = 'sending' and claimed_by = $1 and id = any($2::bigint[])`,
    requeue: `update newsletter_recipient set status = 'queued', claimed_by = null
               where status = 'sending' and claimed_by = $1 and not (id = any($2::bigint[]))`,
  },
};

/** One transaction: both updates or neither (a half-written handover would requeue accepted rows). */
export async function writeHandover(db: Query, table: HandoverTable, workerId: string, h: Handover): Promise<{ sent: number; requeued: number }> {
  const s = STATEMENTS[table];
  const ids = (list: string[]) => `{${list.join(',')}}`;
  await db.query('begin', []);
  try {
    const sent = await db.query(s.sent, [workerId, ids(h.accepted)]);
    const requeued = await db.query(s.requeue, [workerId, ids([...h.accepted, ...h.inFlight])]);
    await db.query('commit', []);
    return { sent: sent.rowCount ?? 0, requeued: requeued.rowCount ?? 0 };
  } catch (e) {
    await db.query('rollback', []).catch(() => {});
    throw e;
  }
}
