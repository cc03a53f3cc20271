/** Small pieces the mailbox watcher's parts share: timeouts, error text, UID sets, imapflow's logger. */
import type { ImapFlowOptions } from 'imapflow';
import type { Logger } from '../../logging/logger.ts';

export class TimeoutError extends Error {}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const e = err as Error & { code?: string; responseText?: string; authenticationFailed?: boolean };
    const parts = [e.message];
    if (e.responseText && !e.message.includes(e.responseText)) parts.push(e.responseText);
    if (e.code && !e.message.includes(e.code)) parts.push(`(${e.code})`);
    return parts.join(' ');
  }
  return String(err);
}

/** Compact IMAP sequence set from ascending UIDs: 1,2,3,7 → "1:3,7". */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

export function asDate(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  if (typeof v === 'string' || typeof v === 'number') {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/** imapflow's logger interface on top of pino, one level quieter (its errors are our reconnects). */
export function imapflowLogger(log: Logger): NonNullable<ImapFlowOptions['logger']> {
  const child = log.child({ component: 'imapflow' });
  const strip = (obj: any) => {
    if (obj && typeof obj === 'object') {
      const { msg, ...rest } = obj;
      return [rest, typeof msg === 'string' ? msg : undefined] as const;
    }
    return [{}, String(obj)] as const;
  };
  return {
    trace: () => undefined,
    debug: (o: any) => {
      if (child.isLevelEnabled('trace')) child.trace(...strip(o));
    },
    info: (o: any) => child.debug(...strip(o)),
    warn: (o: any) => child.info(...strip(o)),
    error: (o: any) => child.warn(...strip(o)),
    fatal: (o: any) => child.error(...strip(o)),
  };
}
