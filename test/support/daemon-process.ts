import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getFreePort } from './free-port.ts';

export interface DaemonProcess {
  child: ChildProcess;
  httpPort: number;
  /** kill -9, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  output(): string;
}

/** Environment for a daemon under test: its own data dir and HTTP port, everything on loopback. */
export function daemonEnv(over: Record<string, string>): Record<string, string> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-daemon-'));
  return {
    MAILROOM_DATA_DIR: dataDir,
    MAILROOM_SECRET: 'test-secret-0123456789abcdef',
    MAIL_FROM: 'post@infracomfort.example',
    MAILROOM_CONFIG: path.resolve('config/mailroom.yaml'),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    HTTP_HOST: '127.0.0.1',
    ...over,
  };
}

export function cleanupDaemonEnv(env: Record<string, string>): void {
  if (env.MAILROOM_DATA_DIR?.includes('mailroom-daemon-')) rmSync(env.MAILROOM_DATA_DIR, { recursive: true, force: true });
}

/** Starts `mailroom start` as a real process and resolves once /readyz answers. */
export async function startDaemonProcess(
  env: Record<string, string>,
  opts: {
    waitReady?: boolean;
    /** Entry script instead of bin/mailroom.js (another version of the daemon). */
    script?: string;
    /** How long to wait for /healthz; default about 30 s. */
    readyTimeoutMs?: number;
  } = {},
): Promise<DaemonProcess> {
  const httpPort = await getFreePort();
  const child = spawn(process.execPath, [opts.script ?? 'bin/mailroom.js', 'start'], {
    env: { ...process.env, ...env, HTTP_PORT: String(httpPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: DaemonProcess = {
    child,
    httpPort,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    output: () => out,
  };
  if (opts.waitReady !== false) {
    for (let i = 0; i < Math.ceil((opts.readyTimeoutMs ?? 30_000) / 50); i++) {
      if (child.exitCode !== null) throw new Error(`daemon exited (${child.exitCode}): ${out}`);
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
        if (res.ok) return proc;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await proc.kill();
    throw new Error(`daemon did not come up: ${out}`);
  }
  return proc;
}
