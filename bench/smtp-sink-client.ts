import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import nodemailer, { type SendMailOptions } from 'nodemailer';

export interface SmtpSink {
  url: string;
  /** [distinct Message-IDs, messages] received since the last reset. */
  count(): Promise<[number, number]>;
  reset(): Promise<void>;
  /** Throws unless exactly `count` distinct messages arrived since the last reset (none is fine too); then resets. */
  expectExactlyAndReset(count: number): Promise<void>;
  stop(): Promise<void>;
}

/** The baseline of the SMTP rows: bare pooled nodemailer sending `messages` at once; msg/s. */
export async function bareNodemailerRate(url: string, pool: number, messages: SendMailOptions[]): Promise<number> {
  const bare = nodemailer.createTransport({ url, pool: true, maxConnections: pool, maxMessages: Infinity, ignoreTLS: true } as never);
  const t0 = performance.now();
  await Promise.all(messages.map((m) => bare.sendMail(m)));
  const rate = messages.length / ((performance.now() - t0) / 1000);
  bare.close();
  return rate;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/smtp-sink.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout! });
  const waiters: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiters.shift()?.(l));
  const next = () => new Promise<string>((resolve) => waiters.push(resolve));
  const ask = async (cmd: string) => {
    const answer = next();
    child.stdin!.write(cmd + '\n');
    return answer;
  };
  const port = Number((await next()).split(' ')[1]);
  return {
    url: `smtp://127.0.0.1:${port}`,
    async count() {
      const [, distinct, total] = (await ask('count')).split(' ');
      return [Number(distinct), Number(total)];
    },
    async reset() {
      await ask('reset');
    },
    async expectExactlyAndReset(count) {
      const [, distinct, total] = (await ask('count')).split(' ').map(Number);
      if (total && (distinct !== count || total !== count)) throw new Error(`delivered ${distinct} distinct / ${total} of ${count}`);
      await ask('reset');
    },
    async stop() {
      child.stdin!.write('stop\n');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
