import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON. */
  json: any;
}

export interface CliEnv {
  databaseUrl: string;
  dataDir: string;
  secret?: string;
  /** More variables; '' unsets one (the configuration treats empty as unset). */
  extra?: Record<string, string>;
  cwd?: string;
  /** Another copy of bin/mailroom.js (a shipped layout); the checkout's by default. */
  bin?: string;
}

/** The environment a CLI run gets: the test's database and data directory, Slack and SMTP off. */
export function cliEnvironment(env: CliEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: env.databaseUrl,
    MAILROOM_SECRET: env.secret ?? 'cli-test-secret-0123456789abcdef',
    MAILROOM_DATA_DIR: env.dataDir,
    MAILROOM_CONFIG: path.join(projectRoot, 'config/mailroom.yaml'),
    MAIL_FROM: 'post@infracomfort.example',
    SMTP_URL: '',
    LOG_LEVEL: 'warn',
    ...env.extra,
  };
}

/** A running `mailroom …` (the real bin/mailroom.js), for tests that signal it or close its output. */
export interface CliProcess {
  child: ChildProcess;
  result: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

export function startCli(env: CliEnv, ...args: string[]): CliProcess {
  const child = spawn(process.execPath, [env.bin ?? path.join(projectRoot, 'bin/mailroom.js'), ...args], {
    cwd: env.cwd ?? projectRoot,
    env: cliEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  // A test may close stdout on purpose (a reader that stops early); that is not an error here.
  child.stdout!.on('error', () => {});
  child.stderr!.on('data', (d) => (stderr += d));
  const result = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
  return { child, result };
}

/** Runs `mailroom …` as a user would, against the given database and data directory. */
export function runCli(env: CliEnv, ...args: string[]): Promise<CliResult> {
  return startCli(env, ...args).result;
}

/** A failure a user can act on: non-zero exit, the expected words, no stack trace. */
export function expectCleanFailure(r: CliResult, pattern: RegExp, opts: { oneLine?: boolean } = {}): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (opts.oneLine) expect(r.stderr.trim().split('\n')).toHaveLength(1);
}
