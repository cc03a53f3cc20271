/**
 * Every way a CLI command ends runs the same clean-ups before the process exits: its own return,
 * an error, a reader that closed the pipe early (`mailroom messages list | head -1`), Ctrl-C or a
 * kill. The clean-up that matters is stopping the embedded PostgreSQL the command started: the
 * server runs in a process group of its own, so nothing else would stop it.
 */
type Cleanup = () => Promise<void>;

const cleanups = new Set<Cleanup>();
let exiting = false;

/** Runs `fn` on any exit path until the returned function is called (the command closed it itself). */
export function cleanUpOnExit(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => void cleanups.delete(fn);
}

/** Runs the clean-ups (newest first), then exits with `code`; a second call exits at once. */
export async function exitAfterCleanUp(code: number, message?: string): Promise<never> {
  if (exiting) process.exit(code);
  exiting = true;
  if (message) writeQuietly(process.stderr, message);
  for (const fn of [...cleanups].reverse()) await fn().catch(() => {});
  process.exit(code);
}

function writeQuietly(stream: NodeJS.WriteStream, text: string): void {
  try {
    stream.write(text);
  } catch {
    // the terminal is gone; nothing to tell
  }
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Installs the exit paths for a CLI command (not for `start`: the daemon stops itself in order). */
export function installExitPaths(): void {
  // A reader that stops early is a normal end, as for `git log | head`: no message, exit 0.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (exiting) return;
    if (e.code === 'EPIPE') void exitAfterCleanUp(0);
    else void exitAfterCleanUp(1, `mailroom: cannot write the output (${e.code ?? e.message})\n`);
  });
  process.stderr.on('error', () => {
    if (!exiting) void exitAfterCleanUp(1);
  });
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) process.on(signal, () => void exitAfterCleanUp(code));
  process.on('uncaughtException', (e) => void exitAfterCleanUp(1, `mailroom: ${e.stack ?? String(e)}\n`));
  process.on('unhandledRejection', (e) => void exitAfterCleanUp(1, `mailroom: ${(e as Error)?.stack ?? String(e)}\n`));
}
