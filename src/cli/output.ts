/**
 * PostgreSQL's text form of a timestamptz (`2026-12-06 09:07:01.201+00`), which raw queries
 * return as is (MikroORM keeps timestamps as text). Only that exact shape, offset included.
 */
const PG_TIMESTAMPTZ = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}(:\d{2})?)?$/;

/** Every time the CLI prints is ISO 8601 in UTC (`…T…Z`), whether it came as a Date or as PostgreSQL text. */
export function isoTimes(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    if (!PG_TIMESTAMPTZ.test(value)) return value;
    // PostgreSQL writes "+00" or "+05:30"; Date wants "+00:00".
    const d = new Date(value.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00'));
    return Number.isNaN(d.getTime()) ? value : d.toISOString();
  }
  if (Array.isArray(value)) return value.map(isoTimes);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isoTimes(v)]));
  }
  return value;
}

/** JSON for scripts: two-space indented, times as ISO. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(isoTimes(value), null, 2) + '\n');
}

/** Prints records as a JSON array (stable field names) or as an aligned table for people. */
export function printRecords(rows: Record<string, unknown>[], opts: { json?: boolean; columns?: string[] }): void {
  if (opts.json) {
    printJson(rows);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const columns = opts.columns ?? Object.keys(rows[0]!);
  const cell = (raw: unknown) => {
    const v = isoTimes(raw);
    if (v === null || v === undefined) return '';
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return s.length > 60 ? s.slice(0, 57) + '...' : s;
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(line(columns) + '\n');
  for (const r of rows) process.stdout.write(line(columns.map((c) => cell(r[c]))) + '\n');
}

export function printRecord(row: Record<string, unknown>, opts: { json?: boolean }): void {
  if (opts.json) {
    printJson(row);
    return;
  }
  const width = Math.max(...Object.keys(row).map((k) => k.length));
  for (const [k, raw] of Object.entries(row)) {
    const v = isoTimes(raw);
    const s = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '');
    process.stdout.write(`${k.padEnd(width)}  ${s}\n`);
  }
}
