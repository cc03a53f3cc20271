import { Option, type Command } from 'commander';
import { limitOption } from '../options.ts';
import { withDatabase } from '../context.ts';
import { printRecords } from '../output.ts';
import { describe } from '../command-index.ts';
import { listOutboxMessages } from '../../outbox/outbox-store.ts';


export function registerOutboxCommands(program: Command): void {
  const outbox = program.command('outbox').description(describe('outbox'));
  outbox
    .command('list')
    .description('list outbox rows, newest first')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--status <status>', 'only rows in this state').choices(['pending', 'sending', 'sent', 'failed', 'cancelled']))
    .addOption(limitOption(100, 'at most this many rows'))
    .action(async (opts: { json?: boolean; status?: string; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listOutboxMessages(db.orm.em.fork(), { status: opts.status, limit: opts.limit });
        printRecords(
          rows.map((r) => ({
            id: r.id,
            channel: r.channel,
            status: r.status,
            attempts: r.attempts,
            to: r.channel === 'email' ? ((r.payload.to as string[]) ?? []).join(', ') : String(r.payload.channel ?? ''),
            subject: r.channel === 'email' ? String(r.payload.subject ?? '') : String(r.payload.kind ?? ''),
            messageId: r.message_id,
            inDoubt: r.in_doubt,
            lastError: r.last_error,
            createdAt: r.created_at,
            nextAttemptAt: r.next_attempt_at,
            sentAt: r.sent_at,
          })),
          { json: opts.json, columns: ['id', 'channel', 'status', 'attempts', 'to', 'subject', 'lastError'] },
        );
      });
    });
}
