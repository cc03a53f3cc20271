import type { Logger } from '../logging/logger.ts';

/** SQLSTATEs of a server that is going, gone or not yet back (a restart, a failover). */
const AWAY_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const AWAY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const AWAY_TEXT = /connection terminated|terminating connection|not queryable|connection error|timeout acquiring a connection|the database system is (starting up|shutting down|in recovery mode)/i;

/** True when `e` says the database could not be reached, not that the statement was refused. */
export function isDatabaseAway(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (AWAY_STATES.has(code) || code.startsWith('08') || AWAY_CODES.has(code)) return true;
  return AWAY_TEXT.test(String(err?.message ?? ''));
}

/**
 * Runs a write that records what already happened outside the database (the peer accepted a
 * message) until it succeeds, waiting out a database restart. Giving up would leave the rows
 * claimed with no record of their fate, and they would later be sent again as "in doubt";
 * any other error is thrown at once.
 */
export async function recordOutcome<T>(write: () => Promise<T>, o: { log: Logger; what: string; giveUpAfterMs?: number }): Promise<T> {
  const deadline = Date.now() + (o.giveUpAfterMs ?? 10 * 60_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (!isDatabaseAway(e) || Date.now() > deadline) throw e;
      if (attempt === 1) o.log.warn({ err: (e as Error).message, what: o.what }, 'database unreachable; keeping the outcome and trying again');
      await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
    }
  }
}

/**
 * After the database server restarts, every instance's sessions are new, and a live instance
 * that has not reconnected yet looks exactly like a dead one in pg_stat_activity. Recovery
 * judges claimers by their sessions only once the server has been up this long.
 */
export const RECONNECT_GRACE_SECONDS = 15;

/**
 * A failover to a standby cuts every session too, but the promoted server has been up for a
 * long time; so a claimer must also have been missing this long, as this instance saw it,
 * before its rows are taken back. It delays taking over a killed instance's rows by as much.
 */
export const ABSENT_CLAIMER_GRACE_MS = 10_000;

/** Claimers without a database session, and since when this instance has seen them so. */
export class AbsentClaimers {
  private readonly since = new Map<string, number>();

  constructor(private readonly graceMs: number, private readonly now: () => number = Date.now) {}

  /** Given the claimers missing now, those missing for at least the grace (the rest are forgotten). */
  longGone(missing: Iterable<string>): Set<string> {
    const t = this.now();
    const seen = new Set(missing);
    for (const w of [...this.since.keys()]) if (!seen.has(w)) this.since.delete(w);
    const out = new Set<string>();
    for (const w of seen) {
      const first = this.since.get(w) ?? t;
      this.since.set(w, first);
      if (t - first >= this.graceMs) out.add(w);
    }
    return out;
  }
}
