import { fail, ok, warn, type CheckResult, type ClockSample } from './check.ts';

/** Beyond this the hosts disagree enough to notice (reminders, claim timeouts, logs out of order). */
export const CLOCK_WARN_MS = 5_000;
/** Beyond this Slack's signed requests (5 min window) and the outbox's timing go wrong. */
export const CLOCK_FAIL_MS = 60_000;

/**
 * Pure: the worst disagreement between our clock and the other machines', after taking off what
 * the reading itself cannot tell apart (round trip, the Date header's whole seconds).
 */
export function judgeClock(samples: ClockSample[]): CheckResult {
  if (samples.length === 0) return warn('clock', 'no other clock could be read (database, Slack, PUBLIC_URL); check NTP on this host by hand');
  const skews = samples.map((s) => ({ ...s, skew: Math.max(0, Math.abs(s.offsetMs) - s.uncertaintyMs) }));
  const worst = skews.reduce((a, b) => (b.skew > a.skew ? b : a));
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const compared = samples.map((s) => s.source).join(', ');
  const direction = worst.offsetMs > 0 ? 'behind' : 'ahead of';
  if (worst.skew >= CLOCK_FAIL_MS) return fail('clock', `this host is ${seconds(Math.abs(worst.offsetMs))} ${direction} ${worst.source}: fix time sync (NTP/chrony/systemd-timesyncd) on the host that is wrong`);
  if (worst.skew >= CLOCK_WARN_MS) return warn('clock', `this host is ${seconds(Math.abs(worst.offsetMs))} ${direction} ${worst.source}: check time sync (NTP) on both`);
  return ok('clock', `within ${seconds(Math.max(...skews.map((s) => Math.abs(s.offsetMs))))} of ${compared}`);
}
