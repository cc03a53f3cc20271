/**
 * `mailroom records import <kind> <file>`: records from the company's other systems, through
 * the shared table import (src/table-import: encoding, separator, line numbers, validation,
 * row-by-row or all-or-nothing writing).
 *
 * This file puts the pieces of records together: what each kind accepts (record-schemas.ts),
 * how it is written (record-writers.ts, upserts on each kind's natural key, so importing the
 * same file twice changes nothing and the counts say so: created / updated / unchanged).
 *
 * An empty cell never clears a stored value: the other system's export may leave columns out,
 * and a re-import must not wipe what staff or an earlier import put there.
 * Passwords and password hashes are never imported: such columns are dropped with a warning.
 */
import type { Orm } from '../db/orm.ts';
import { columnKey, mapColumns as mapTableColumns, type ColumnMap } from '../table-import/columns.ts';
import { parseTable, formatProblem, type ParsedTable, type TableSpec } from '../table-import/parse-table.ts';
import { readTable, jsonElementLines, TableFileError, type TableFormat } from '../table-import/read-table.ts';
import { importRows, type ImportSummary } from '../table-import/import-rows.ts';
import {
  RECORD_ALIASES,
  RECORD_KINDS,
  RECORD_REQUIRED,
  cleanLine,
  groupOrderLines,
  naturalKey,
  naturalKeyField,
  schemaFor,
  type ImportKind,
  type ImportRecord,
  type OrderRecord,
} from './record-schemas.ts';
import { writeRecord } from './record-writers.ts';

export { RECORD_KINDS, type ImportKind, type ImportRecord };
export { formatProblem, jsonElementLines, type ImportSummary };
export { formatOfFile } from '../table-import/read-table.ts';
export type { RowProblem } from '../table-import/read-table.ts';
/** The records import's name for a whole-file problem (the shared TableFileError). */
export { TableFileError as RecordsFileError };

export type ParsedRecords = ParsedTable<ImportRecord> & { kind: ImportKind };

export function mapColumns(kind: ImportKind, columns: string[]): ColumnMap {
  return mapTableColumns(RECORD_ALIASES[kind], columns);
}

function specFor(kind: ImportKind, format: TableFormat): TableSpec<ImportRecord> {
  return {
    kind,
    aliases: RECORD_ALIASES[kind],
    required: RECORD_REQUIRED[kind],
    schema: schemaFor(kind, format),
    combine:
      kind === 'orders' && format === 'csv'
        ? groupOrderLines
        : kind === 'orders'
          ? (rows) => rows.map((r) => ({ line: r.line, value: { ...(r.value as unknown as OrderRecord), lines: (r.value as unknown as OrderRecord).lines.map(cleanLine) } }))
          : undefined,
    naturalKey: (v) => ({ key: naturalKey(kind, v), field: naturalKeyField(kind, v) }),
  };
}

/**
 * Text in, validated rows out. Rows with problems are left out of `rows` and reported in
 * `problems` (line and field); the caller decides whether the rest is imported.
 * Throws RecordsFileError when the file as a whole cannot be used.
 */
export function parseRecords(kind: ImportKind, text: string, format: TableFormat): ParsedRecords {
  if (!RECORD_KINDS.includes(kind)) throw new TableFileError(`unknown kind "${kind}" (one of ${RECORD_KINDS.join(', ')})`);
  const table = readTable(text, format, kind, [kind, kind.replace(/-(.)/g, (_m, c: string) => c.toUpperCase())]);
  return { ...parseTable(specFor(kind, format), table), kind };
}

/**
 * Writes the valid rows. Each row commits on its own, so one that does not fit is reported and
 * the rest go in; with `allOrNothing`, any bad row (in the file or refused by the database)
 * means nothing is written.
 */
export async function importRecords(orm: Orm, parsed: ParsedRecords, opts: { allOrNothing?: boolean } = {}): Promise<ImportSummary> {
  return importRows(orm, parsed, (em, record) => writeRecord(em, parsed.kind, record), opts);
}

export interface AcceptedColumn {
  field: string;
  /** Refused when missing or empty. */
  required: boolean;
  /** Other headers read as this field. */
  aliases: string[];
}

/** The columns a file of `kind` may have (for `records import --help`), from the aliases and required fields the import uses. */
export function acceptedColumns(kind: ImportKind): AcceptedColumn[] {
  return Object.entries(RECORD_ALIASES[kind]).map(([field, names]) => ({
    field,
    required: RECORD_REQUIRED[kind].includes(field),
    aliases: names.filter((n) => n !== columnKey(field)),
  }));
}
