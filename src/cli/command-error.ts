/**
 * A command's expected failure (an unknown reference, a value it cannot use): the CLI prints its
 * message as one line and exits 1. Anything else that escapes a command is a bug and keeps
 * its stack trace.
 */
export class CommandError extends Error {
  override name = 'CommandError';
}
