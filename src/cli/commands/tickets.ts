import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { limitOption } from '../options.ts';
import { withDatabase } from '../context.ts';
import { fileProblem } from '../command-error.ts';
import { printRecords, printRecord } from '../output.ts';
import { listTickets, showTicket } from '../../records/record-views.ts';
import { replyToTicket, changeTicketStatus, StaffReplyError } from '../../records/staff-reply.ts';
import { cliError, expectErrors, printDetail } from './records.ts';
import { describe } from '../command-index.ts';

async function readReplyText(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new StaffReplyError(fileProblem(file, e));
  }
}

/** `tickets list|show|reply|close|reopen`. */
export function registerTicketCommands(program: Command): void {
  const tickets = program.command('tickets').description(describe('tickets'));
  tickets
    .command('list')
    .description('list tickets, newest first')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--status <status>', 'only tickets in this state').choices(['open', 'pending', 'closed']))
    .addOption(limitOption(100))
    .action(async (opts: { json?: boolean; status?: string; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listTickets(db.orm.em.fork(), { status: opts.status, limit: opts.limit });
        printRecords(rows, { json: opts.json, columns: ['ref', 'status', 'priority', 'requester', 'organisation', 'messages', 'subject', 'updatedAt'] });
      });
    });

  tickets
    .command('show <ref>')
    .description('one ticket with its participants, attachments and timeline')
    .option('--json', 'print a JSON object')
    .action(async (ref: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const view = await showTicket(db.orm.em.fork(), ref);
        if (!view) return cliError(`no ticket ${ref}`);
        printDetail(view, { json: opts.json });
      });
    });

  tickets
    .command('reply <ref>')
    .description('send a threaded reply to the requester through the outbox, recorded on the ticket')
    .requiredOption('--file <text-file>', 'the reply text (plain text, UTF-8; - reads stdin)')
    .option('--as <name>', 'the staff member answering (signed under the text)')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, opts: { file: string; as?: string; json?: boolean }) => {
      await expectErrors([StaffReplyError], async () => {
        const text = await readReplyText(opts.file);
        if (!text.trim()) throw new StaffReplyError(`${opts.file}: the reply is empty`);
        await withDatabase(async ({ db, config }) => {
          // Loaded here: the filing set-up (templates, classification) is not needed to list tickets.
          const { filingDepsFromConfig } = await import('../../app/filing-setup.ts');
          const result = await replyToTicket(db.orm.em.fork(), { ref, text, author: opts.as }, filingDepsFromConfig(config));
          if (opts.json) printRecord({ ...result }, { json: true });
          else process.stdout.write(`reply to ${result.to} queued on ${result.ref} (outbox ${result.outboxId}): ${result.subject}\n`);
        });
      });
    });

  for (const [name, status, verb] of [
    ['close', 'closed', 'closed'],
    ['reopen', 'open', 'reopened'],
  ] as const) {
    tickets
      .command(`${name} <ref>`)
      .description(`${name} a ticket`)
      .option('--json', 'print the result as JSON')
      .action(async (ref: string, opts: { json?: boolean }) => {
        await withDatabase(async ({ db }) => {
          const result = await db.orm.em.fork().transactional((em) => changeTicketStatus(em, ref, status));
          if (!result) return cliError(`no ticket ${ref}`);
          if (opts.json) printRecord({ ref: result.ref, previousStatus: result.from, status: result.to }, { json: true });
          else process.stdout.write(result.from === status ? `${result.ref} was already ${status}\n` : `${result.ref} ${verb} (was ${result.from})\n`);
        });
      });
  }
}
