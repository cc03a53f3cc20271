import { readFile } from 'node:fs/promises';
import { Argument, type Command } from 'commander';
import { withDatabase } from '../context.ts';
import { fileProblem } from '../command-error.ts';
import { printRecord } from '../output.ts';
import { RECORD_KINDS, acceptedColumns, RecordsFileError, parseRecords, importRecords, formatOfFile, formatProblem, type ImportKind, type ImportSummary } from '../../records/records-import.ts';
import { expectErrors } from './records.ts';
import { describe } from '../command-index.ts';

function printSummary(s: ImportSummary, file: string): void {
  for (const w of s.warnings) process.stderr.write(`mailroom: warning: ${w}\n`);
  for (const p of s.problems) process.stderr.write(`mailroom: ${file}: ${formatProblem(p)}\n`);
  if (!s.imported) {
    process.stdout.write(`${s.kind}: nothing imported (--all-or-nothing and ${s.rejected} bad row${s.rejected === 1 ? '' : 's'})\n`);
    return;
  }
  process.stdout.write(`${s.kind}: ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected\n`);
}

/** The columns of each kind, for --help: from the schemas the import checks rows with. */
function columnsHelp(): string {
  const out = ['', 'Columns by kind (* required; other headers read as the same field in brackets; case, spaces and punctuation do not matter):'];
  for (const kind of RECORD_KINDS) {
    out.push(`  ${kind}:`);
    for (const c of acceptedColumns(kind)) out.push(`    ${c.field}${c.required ? '*' : ''}${c.aliases.length ? ` [${c.aliases.join(', ')}]` : ''}`);
  }
  out.push('  orders: one row per order line (the order fields repeated), or in JSON one object per order with its "lines";');
  out.push('          buyer, buyerEmail or buyerOrganisation is required.');
  out.push('Other columns are ignored with a warning; password, hash and token columns are never imported.');
  return out.join('\n');
}

/** `records import <kind> <file.csv|file.json>`: records from the company's other systems. */
export function registerRecordsImportCommands(program: Command): void {
  const records = program.command('records').description(describe('records'));
  records
    .command('import')
    .description('create or update records from a CSV or JSON file; importing the same file again changes nothing')
    .addArgument(new Argument('<kind>', 'what the file holds').choices([...RECORD_KINDS]))
    .argument('<file>', 'a .csv (header row; , or ; separated) or .json (array of objects) file')
    .option('--all-or-nothing', 'import nothing if any row is bad')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', columnsHelp)
    .action(async (kind: ImportKind, file: string, opts: { allOrNothing?: boolean; json?: boolean }) => {
      await expectErrors([RecordsFileError], async () => {
        const format = formatOfFile(file);
        if (!format) throw new RecordsFileError(`${file}: use a .csv or .json file`);
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (e) {
          throw new RecordsFileError(fileProblem(file, e));
        }
        let parsed;
        try {
          parsed = parseRecords(kind, text, format);
        } catch (e) {
          if (e instanceof RecordsFileError) throw new RecordsFileError(`${file}: ${e.message}`);
          throw e;
        }
        await withDatabase(async ({ db }) => {
          const summary = await importRecords(db.orm, parsed, { allOrNothing: opts.allOrNothing });
          if (opts.json) {
            for (const w of summary.warnings) process.stderr.write(`mailroom: warning: ${w}\n`);
            printRecord({ ...summary, file }, { json: true });
          } else printSummary(summary, file);
          // Bad rows are an error for scripts, even when the rest was imported.
          if (summary.rejected > 0) process.exitCode = 1;
        });
      });
    });
}
