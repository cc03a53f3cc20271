/**
 * Bytes of an export to raw rows with line numbers. Pure (no database, no disk).
 *
 * Exports come as Excel and other systems save them: UTF-8 with or without a BOM, UTF-16 with
 * a BOM ("Unicode text"), or Windows-1252 (Norwegian Excel's "CSV"); separated by ',' or, from
 * Norwegian Excel, ';' (or tab). The encoding is read from the bytes and the separator from the
 * header line, so nobody has to say which.
 */
import iconv from 'iconv-lite';
import { parse as parseCsv } from 'csv-parse/sync';
import { guessCharset } from '../ingest/charset.ts';

/** A whole-file problem (unreadable, not CSV/JSON, no usable columns): nothing can be imported. */
export class TableFileError extends Error {
  override name = 'TableFileError';
}

export interface RowProblem {
  /** 1-based line in the file where the row is (CSV: where it ends; JSON: where the object starts). */
  line: number;
  field?: string;
  message: string;
}

export interface RawRow {
  line: number;
  fields: Record<string, unknown>;
}

export interface RawTable {
  columns: string[];
  rows: RawRow[];
  /** Rows that could not even be read as rows (too many fields). */
  problems: RowProblem[];
}

export type TableFormat = 'csv' | 'json';

export function formatOfFile(file: string): TableFormat | null {
  const ext = file.toLowerCase().split('.').pop();
  return ext === 'csv' || ext === 'tsv' || ext === 'txt' ? 'csv' : ext === 'json' ? 'json' : null;
}

/** Text of a table file, and a warning when it was not UTF-8. */
export function decodeTable(bytes: Uint8Array): { text: string; encoding: string; warnings: string[] } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { text: b.subarray(3).toString('utf8'), encoding: 'utf-8', warnings: [] };
  if (b[0] === 0xff && b[1] === 0xfe) return { text: iconv.decode(b.subarray(2), 'utf-16le'), encoding: 'utf-16le', warnings: [] };
  if (b[0] === 0xfe && b[1] === 0xff) return { text: iconv.decode(b.subarray(2), 'utf-16be'), encoding: 'utf-16be', warnings: [] };
  const charset = guessCharset(b);
  if (charset === 'utf-8') return { text: b.toString('utf8'), encoding: 'utf-8', warnings: [] };
  return { text: iconv.decode(b, charset), encoding: charset, warnings: [`the file is not UTF-8; read as ${charset} (what Excel saves as "CSV")`] };
}

const DELIMITERS = [',', ';', '\t', '|'] as const;

/** The separator the header line uses most (outside quotes); ',' when it has none. */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best: string = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

const blank = (v: unknown) => v === undefined || v === null || String(v).trim() === '';

export function readCsv(text: string): RawTable {
  const body = text.replace(/^\uFEFF/, '');
  const header = body.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const delimiter = detectDelimiter(header);
  let records: { info: { lines: number }; record: string[] }[];
  try {
    records = parseCsv(body, { delimiter, info: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true }) as never;
  } catch (e) {
    const err = e as { message: string; lines?: number };
    throw new TableFileError(`not valid CSV${err.lines ? ` at line ${err.lines}` : ''}: ${err.message.split('\n')[0]}`);
  }
  const [head, ...data] = records;
  const columns = (head?.record ?? []).map((c) => String(c).trim());
  const rows: RawRow[] = [];
  const problems: RowProblem[] = [];
  for (const { info, record } of data) {
    if (record.every(blank)) continue; // ";;;" lines that spreadsheets leave at the end
    const extra = record.slice(columns.length);
    if (extra.some((v) => !blank(v))) {
      problems.push({
        line: info.lines,
        message: `has ${record.length} fields where the header has ${columns.length} (a "${delimiter === '\t' ? 'tab' : delimiter}" too many, or a value with one in it that needs quotes)`,
      });
      continue;
    }
    // A short row: the cells it leaves out are empty (validation names a required one).
    const fields: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      if (!(c in fields)) fields[c] = record[i];
    });
    rows.push({ line: info.lines, fields });
  }
  return { columns, rows, problems };
}

/**
 * Line numbers of the objects in the records array, found by scanning the text (JSON.parse
 * gives none). `arrayDepth` is the nesting depth of the array: 1 for a top-level array.
 */
export function jsonElementLines(text: string, arrayDepth: number): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const ch of text) {
    if (ch === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === arrayDepth) lines.push(line);
      depth++;
    } else if (ch === '}' || ch === ']') depth--;
  }
  return lines;
}

/**
 * A JSON export: an array of objects, or an object holding one array of them (named
 * `arrayNames`, or its only array).
 */
export function readJson(text: string, what: string, arrayNames: string[]): RawTable {
  let doc: unknown;
  const body = text.replace(/^\uFEFF/, '');
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new TableFileError(`not valid JSON: ${(e as Error).message}`);
  }
  let items: unknown[];
  let depth = 1;
  if (Array.isArray(doc)) items = doc;
  else if (doc && typeof doc === 'object') {
    const o = doc as Record<string, unknown>;
    const arrays = Object.keys(o).filter((k) => Array.isArray(o[k]));
    const name = [...arrayNames, 'records', 'items', 'data'].find((k) => Array.isArray(o[k])) ?? (arrays.length === 1 ? arrays[0] : undefined);
    if (!name) throw new TableFileError(`JSON must be an array of ${what} (or an object with one array of them)`);
    items = o[name] as unknown[];
    depth = 2;
  } else throw new TableFileError(`JSON must be an array of ${what}`);
  // Only exact when the wrapper object holds nothing else nested; otherwise count items instead.
  let lines = jsonElementLines(body, depth);
  if (lines.length !== items.length) lines = [];
  const columns = new Set<string>();
  const rows: RawRow[] = [];
  const problems: RowProblem[] = [];
  items.forEach((item, i) => {
    const line = lines[i] ?? i + 1;
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      problems.push({ line, message: 'not an object' });
      return;
    }
    for (const k of Object.keys(item)) columns.add(k);
    rows.push({ line, fields: item as Record<string, unknown> });
  });
  return { columns: [...columns], rows, problems };
}

export function readTable(text: string, format: TableFormat, what: string, arrayNames: string[] = []): RawTable {
  return format === 'csv' ? readCsv(text) : readJson(text, what, arrayNames);
}
