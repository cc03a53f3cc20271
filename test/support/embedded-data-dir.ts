import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A data directory for a `mailroom` that runs the embedded PostgreSQL (no DATABASE_URL). Open
 * to others: as root the server runs as the OS user "postgres", which must reach <dir>/pg.
 */
export function embeddedDataDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of the embedded server running on `dataDir`, or null when none is. */
export function embeddedServerPid(dataDir: string): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return pid && alive(pid) ? pid : null;
}

/** Waits (bounded) for the embedded server on `dataDir` to be gone; returns the pid still running, if any. */
export async function embeddedServerAfterExit(dataDir: string): Promise<number | null> {
  for (let i = 0; i < 100; i++) {
    const pid = embeddedServerPid(dataDir);
    if (pid === null) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
  return embeddedServerPid(dataDir);
}

/** Stops a server a test left behind (a failed assertion must not leave PostgreSQL running). */
export async function stopEmbeddedServer(dataDir: string): Promise<void> {
  const pid = embeddedServerPid(dataDir);
  if (pid === null) return;
  process.kill(pid, 'SIGINT');
  await embeddedServerAfterExit(dataDir);
}
