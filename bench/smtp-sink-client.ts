import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

export interface SmtpSink {
  url: string;
  /** [distinct Message-IDs, messages] received since the last reset. */
  count(): Promise<[number, number]>;
  reset(): Promise<void>;
  stop(): Promise<void>;
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
    async stop() {
      child.stdin!.write('stop\n');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
