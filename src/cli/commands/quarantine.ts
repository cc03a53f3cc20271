import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { limitOption } from '../options.ts';
import { withDatabase } from '../context.ts';
import { printRecords, printRecord } from '../output.ts';
import { listQuarantine, showQuarantined } from '../../records/record-views.ts';
import { retryQuarantined } from '../../ingest/ingest-processor.ts';
import { inboundOutcome, readRaw } from '../../ingest/inbound-store.ts';
import { cliError, printDetail } from './records.ts';
import { runPipelineUntilDone } from './import.ts';
import { describe } from '../command-index.ts';
import { rowIdFromRef } from '../refs.ts';

/** `quarantine list|show|retry`: messages that could not be parsed or filed, with the reason. */
export function registerQuarantineCommands(program: Command): void {
  const quarantine = program.command('quarantine').description(describe('quarantine'));
  quarantine
    .command('list')
    .description('list quarantined messages, newest first')
    .option('--json', 'print a JSON array')
    .option('--mailbox <name>', "one mailbox's quarantine (its name in mailboxes:, or import)")
    .addOption(limitOption(500))
    .action(async (opts: { json?: boolean; limit: number; mailbox?: string }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listQuarantine(db.orm.em.fork(), { limit: opts.limit, mailbox: opts.mailbox });
        printRecords(rows, { json: opts.json, columns: ['id', 'mailbox', 'size', 'attempts', 'from', 'subject', 'reason', 'quarantinedAt'] });
      });
    });
  quarantine
    .command('show <id>')
    .description('one quarantined message (id as `quarantine list` prints it, or #id as `import` does) with the reason and size; --raw writes its bytes to stdout')
    .option('--json', 'print a JSON object')
    .option('--raw', 'write the raw RFC 822 bytes to stdout (e.g. > message.eml)')
    .action(async (id: string, opts: { json?: boolean; raw?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const em = db.orm.em.fork();
        const view = await showQuarantined(em, rowIdFromRef(id) ?? id.trim());
        if (!view) return cliError(`no quarantined message ${id}`);
        if (opts.raw) {
          if (!view.rawStored) return cliError(`message ${id}: the raw bytes are not stored`);
          await pipeline(readRaw(em, String(view.id)), process.stdout, { end: false });
          return;
        }
        printDetail(view, { json: opts.json });
      });
    });
  quarantine
    .command('retry <id>')
    .description('put a quarantined message back into the pipeline; --now processes it here and reports the result')
    .option('--now', 'parse and file it now instead of leaving it to the daemon')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, opts: { now?: boolean; json?: boolean }) => {
      const id = rowIdFromRef(ref);
      if (!id) return cliError(`no quarantined message ${ref}`);
      await withDatabase(async ({ db, config }) => {
        const ok = await db.orm.em.fork().transactional((em) => retryQuarantined(em, id));
        if (!ok) return cliError(`no quarantined message ${id}`);
        if (opts.now) await runPipelineUntilDone(db.orm, config, [id]);
        const row = await inboundOutcome(db.orm.em.fork(), id);
        const result = { id: id, state: row!.state, outcome: row!.outcome, recordRef: row!.record_ref, lastError: row!.last_error };
        if (opts.json) printRecord(result, { json: true });
        else if (!opts.now) process.stdout.write(`message ${result.id} queued for another attempt (state ${result.state})\n`);
        else if (result.state === 'quarantined') process.stdout.write(`message ${result.id} quarantined again: ${result.lastError ?? 'unknown reason'}\n`);
        else process.stdout.write(`message ${result.id} ${result.state}${result.outcome ? `: ${result.outcome}` : ''}${result.recordRef ? ` ${result.recordRef}` : ''}\n`);
      });
    });
}
