import { fail, type Check, type CheckResult, type ClockSample } from './check.ts';
import { judgeClock } from './clock-check.ts';

/**
 * Runs the checks side by side (each talks to its own server), each bounded by `timeoutMs`, and
 * ends with the clock check over the clocks they read. Results keep the checks' order.
 */
export async function runChecks(checks: Check[], opts: { timeoutMs: number }): Promise<CheckResult[]> {
  const clock: ClockSample[] = [];
  const outcomes = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<CheckResult[]>((resolve) => {
        timer = setTimeout(() => resolve([fail(c.name, `no answer within ${Math.round(opts.timeoutMs / 1000)} s: the server is unreachable or black-holed (firewall?)`)]), opts.timeoutMs);
      });
      const run = c.run().then(
        (o) => {
          clock.push(...(o.clock ?? []));
          return o.results;
        },
        (e) => [fail(c.name, `check failed: ${String((e as Error)?.message ?? e).split('\n')[0]}`)],
      );
      try {
        return await Promise.race([run, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return [...outcomes.flat(), judgeClock(clock)];
}

/** One aligned line per finding: `ok`, `warn` or `FAIL`, the check, what was found / what to do. */
export function formatResults(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.check.length));
  const label = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  const lines = results.map((r) => `${label[r.status]}  ${r.check.padEnd(width)}  ${r.detail}`);
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  lines.push(`doctor: ${count('ok')} ok, ${count('warn')} warn, ${count('fail')} FAIL`);
  return lines.join('\n') + '\n';
}

export const failed = (results: CheckResult[]) => results.some((r) => r.status === 'fail');
