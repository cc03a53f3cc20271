/**
 * What every doctor check returns. A check talks to one real server and never changes anything
 * there; it says what it found in one line per finding, and what to do when something is wrong.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  check: string;
  status: CheckStatus;
  /** What was found and, for warn/fail, what to do. Never a secret. */
  detail: string;
}

/**
 * A reading of another machine's clock: `offsetMs` = its clock minus ours at the midpoint of the
 * round trip; `uncertaintyMs` = half the round trip plus the reading's own resolution.
 */
export interface ClockSample {
  source: string;
  offsetMs: number;
  uncertaintyMs: number;
}

export interface CheckOutcome {
  results: CheckResult[];
  clock?: ClockSample[];
}

export interface Check {
  /** The name a timeout is reported under. */
  name: string;
  run(): Promise<CheckOutcome>;
}

export const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail });
export const warn = (check: string, detail: string): CheckResult => ({ check, status: 'warn', detail });
export const fail = (check: string, detail: string): CheckResult => ({ check, status: 'fail', detail });

/** A clock sample from a remote time read between `sentAt` and `receivedAt` (ms since epoch). */
export function clockSample(source: string, remoteMs: number, sentAt: number, receivedAt: number, resolutionMs = 0): ClockSample {
  const mid = (sentAt + receivedAt) / 2;
  return { source, offsetMs: remoteMs - mid, uncertaintyMs: (receivedAt - sentAt) / 2 + resolutionMs };
}

/** An HTTP `Date` header as a clock sample (1 s resolution), or nothing when absent or unreadable. */
export function httpDateSample(source: string, date: string | null, sentAt: number, receivedAt: number): ClockSample[] {
  const t = date ? Date.parse(date) : NaN;
  return Number.isFinite(t) ? [clockSample(source, t, sentAt, receivedAt, 1000)] : [];
}
