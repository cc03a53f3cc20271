/**
 * Raw rows to validated values, for any kind of table: columns matched by the kind's aliases,
 * each row checked against its zod schema. Rows with problems are left out and reported with
 * their line and the column name the file uses; the caller decides whether the rest goes in.
 * Pure: unit-testable without a database.
 */
import type { z } from 'zod';
import { mapColumns, type Aliases } from './columns.ts';
import { TableFileError, type RawTable, type RowProblem } from './read-table.ts';

export interface ValidRow<T> {
  line: number;
  value: T;
}

export interface ParsedTable<T> {
  /** What the rows are ("contacts", "subscribers"), for messages and summaries. */
  kind: string;
  rows: ValidRow<T>[];
  problems: RowProblem[];
  warnings: string[];
}

export interface TableSpec<T> {
  kind: string;
  aliases: Aliases;
  /** Canonical fields the file must have a column for. */
  required: string[];
  schema: z.ZodType;
  /** Valid rows into records (e.g. order lines into orders); may add problems. Default: each row is a record. */
  combine?: (rows: ValidRow<Record<string, unknown>>[], problems: RowProblem[], sourceName: (field: string) => string) => ValidRow<T>[];
  /** What two rows of one file must not share: the later one is reported. */
  naturalKey?: (value: T) => { key: string; field: string };
}

function problemsOf(line: number, error: z.ZodError, sourceName: (field: string) => string): RowProblem[] {
  return error.issues.map((i) => {
    const field = i.path.length ? i.path.map(String).join('.') : undefined;
    const top = i.path.length ? String(i.path[0]) : undefined;
    const shown = field && top ? field.replace(top, sourceName(top)) : field;
    const message = i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message;
    return { line, field: shown, message };
  });
}

const plural = (n: number, word: string) => `${word}${n > 1 ? 's' : ''}`;

/** Throws TableFileError when the table as a whole cannot be used (a required column is missing). */
export function parseTable<T>(spec: TableSpec<T>, table: RawTable): ParsedTable<T> {
  const { columns, rows } = table;
  const map = mapColumns(spec.aliases, columns);
  const warnings: string[] = [];
  if (map.secret.length) warnings.push(`${plural(map.secret.length, 'column')} ${map.secret.map((c) => `"${c}"`).join(', ')} ignored: passwords and hashes are never imported`);
  if (map.ignored.length) warnings.push(`${plural(map.ignored.length, 'column')} ${map.ignored.map((c) => `"${c}"`).join(', ')} not recognised for ${spec.kind}; ignored`);
  const mapped = new Set(map.fields.values());
  const missing = spec.required.filter((f) => !mapped.has(f));
  if ((rows.length > 0 || table.problems.length > 0) && missing.length) {
    throw new TableFileError(`no ${missing.map((m) => `"${m}"`).join(', ')} column for ${spec.kind} (columns found: ${columns.join(', ') || 'none'})`);
  }
  const sourceOf = new Map([...map.fields].map(([col, field]) => [field, col]));
  const sourceName = (field: string) => sourceOf.get(field) ?? field;
  const problems: RowProblem[] = [...table.problems];
  const valid: ValidRow<Record<string, unknown>>[] = [];
  for (const row of rows) {
    const canonical: Record<string, unknown> = {};
    for (const [col, value] of Object.entries(row.fields)) {
      const field = map.fields.get(col);
      if (field) canonical[field] = value;
    }
    const result = spec.schema.safeParse(canonical);
    if (result.success) valid.push({ line: row.line, value: result.data as Record<string, unknown> });
    else problems.push(...problemsOf(row.line, result.error, sourceName));
  }
  const records = spec.combine ? spec.combine(valid, problems, sourceName) : (valid as unknown as ValidRow<T>[]);
  const unique: ValidRow<T>[] = [];
  if (spec.naturalKey) {
    const seen = new Map<string, number>();
    for (const r of records) {
      const { key, field } = spec.naturalKey(r.value);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({ line: r.line, field: sourceName(field), message: `same ${field} as line ${first}` });
        continue;
      }
      seen.set(key, r.line);
      unique.push(r);
    }
  } else unique.push(...records);
  problems.sort((a, b) => a.line - b.line);
  return { kind: spec.kind, rows: unique, problems, warnings };
}

export function formatProblem(p: RowProblem): string {
  return `line ${p.line}${p.field ? `, ${p.field}` : ''}: ${p.message}`;
}
