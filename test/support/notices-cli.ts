/**
 * Test-only entry point: the `notices` commands on their own commander program, the way
 * src/cli/main.ts registers them (until the lead wires them there). Run through tsx.
 */
import { Command, CommanderError } from 'commander';
import { registerNoticeCommands } from '../../src/cli/commands/notices.ts';

const program = new Command('mailroom').exitOverride();
registerNoticeCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  process.stderr.write(`mailroom: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
}
