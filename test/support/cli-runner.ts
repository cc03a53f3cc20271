import { spawn } from 'node:child_process';
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

/** Runs `mailroom …` as a user would, against the given database and data directory. */
export function runCli(env: { databaseUrl: string; dataDir: string; secret?: string; extra?: Record<string, string> }, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'bin/mailroom.js'), ...args], {
      cwd: projectRoot,
      env: {
        ...process.env,
        DATABASE_URL: env.databaseUrl,
        MAILROOM_SECRET: env.secret ?? 'cli-test-secret-0123456789abcdef',
        MAILROOM_DATA_DIR: env.dataDir,
        MAILROOM_CONFIG: path.join(projectRoot, 'config/mailroom.yaml'),
        MAIL_FROM: 'post@infracomfort.example',
        SMTP_URL: '',
        LOG_LEVEL: 'warn',
        ...env.extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** A failure a user can act on: non-zero exit, the expected words, no stack trace. */
export function expectCleanFailure(r: CliResult, pattern: RegExp, opts: { oneLine?: boolean } = {}): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (opts.oneLine) expect(r.stderr.trim().split('\n')).toHaveLength(1);
}
