import path from 'node:path';
import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { getFreePort as freePort } from './free-port.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * One PostgreSQL server for the whole run: DATABASE_URL when given (CI), otherwise an
 * embedded one in a throw-away directory. Each test file then makes its own database.
 */
export default async function setup(project: TestProject) {
  // The tests run the real `mailroom` binary, which runs the compiled dist/: build it when
  // src/ changed since the last build (npm ci builds it; a test run after an edit must too).
  const build = spawnSync(process.execPath, ['bin/build.js', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed: the tests would run an old dist/');
  if (process.env.DATABASE_URL) {
    project.provide('databaseUrl', process.env.DATABASE_URL);
    return;
  }
  const dir = path.resolve('.tmp', `test-pg-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const db = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), log: silentLogger });
  project.provide('databaseUrl', db.url);
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
