import { Argument, type Command } from 'commander';
import { withDatabase } from '../context.ts';
import { reportImport } from '../table-import-output.ts';
import { RECORD_KINDS, acceptedColumns, RecordsFileError, parseRecords, importRecords, type ImportKind } from '../../records/records-import.ts';
import { readTableFile } from '../../table-import/read-file.ts';
import { expectErrors } from './records.ts';
import { describe } from '../command-index.ts';

/** The columns of each kind, for --help: from the aliases and required fields the import checks rows with. */
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
    .argument('<file>', 'a .csv (header row; , ; or tab separated; UTF-8 or Windows-1252) or .json (array of objects) file')
    .option('--all-or-nothing', 'import nothing if any row is bad')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', columnsHelp)
    .action(async (kind: ImportKind, file: string, opts: { allOrNothing?: boolean; json?: boolean }) => {
      await expectErrors([RecordsFileError], async () => {
        const { text, format, warnings } = await readTableFile(file);
        let parsed;
        try {
          parsed = parseRecords(kind, text, format);
        } catch (e) {
          if (e instanceof RecordsFileError) throw new RecordsFileError(`${file}: ${e.message}`);
          throw e;
        }
        parsed.warnings.unshift(...warnings);
        await withDatabase(async ({ db }) => {
          reportImport(await importRecords(db.orm, parsed, { allOrNothing: opts.allOrNothing }), file, { json: opts.json });
        });
      });
    });
}
