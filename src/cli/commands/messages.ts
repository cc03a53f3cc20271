import { Option, type Command } from 'commander';
import { limitOption } from '../options.ts';
import { withDatabase } from '../context.ts';
import { printRecords } from '../output.ts';
import { listMessages, showMessage, INBOUND_STATES } from '../../records/record-views.ts';
import { cliError, printDetail } from './records.ts';
import { describe } from '../command-index.ts';
import { rowIdFromRef } from '../refs.ts';

/** `messages list|show`: inbound mail and where each message is in the pipeline. */
export function registerMessageCommands(program: Command): void {
  const messages = program.command('messages').description(describe('messages'));
  messages
    .command('list')
    .description('list inbound messages, newest first')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--state <state>', 'only messages in this state').choices([...INBOUND_STATES]))
    .option('--outcome <outcome>', 'only messages with this outcome (ticket, lead, triage, bounce, auto-reply, …)')
    .addOption(limitOption(100))
    .action(async (opts: { json?: boolean; state?: string; outcome?: string; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listMessages(db.orm.em.fork(), { state: opts.state, outcome: opts.outcome, limit: opts.limit });
        printRecords(rows, { json: opts.json, columns: ['id', 'state', 'outcome', 'recordRef', 'automatedKind', 'from', 'subject', 'receivedAt'] });
      });
    });
  messages
    .command('show <id>')
    .description('one inbound message: headers, state, outcome, problems, attachments and text')
    .option('--json', 'print a JSON object')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const view = await showMessage(db.orm.em.fork(), rowIdFromRef(id) ?? id.trim());
        if (!view) return cliError(`no inbound message ${id}`);
        printDetail(view, { json: opts.json });
      });
    });
}
