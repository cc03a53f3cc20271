/**
 * A command's expected failure (an unknown reference, a value it cannot use): the CLI prints its
 * message as one line and exits 1. Anything else that escapes a command is a bug and keeps
 * its stack trace.
 */
export class CommandError extends Error {
  override name = 'CommandError';
}

/** Why a file named on the command line cannot be read, as the one line the operator needs. */
export function fileProblem(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
  return `${file}: ${why}`;
}
