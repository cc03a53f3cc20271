/**
 * The upsert under every record writer: a row found by its natural key is updated with the
 * values that differ, or inserted; the outcome says which (so a re-import reports "unchanged").
 * Only defined values are written: an empty cell never clears a stored value.
 */
import { pgArray, type Sql } from '../db/sql.ts';
import type { RowOutcome } from '../table-import/import-rows.ts';

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function same(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (a === null || a === undefined || b === null || b === undefined) return false;
  if (typeof a === 'object' || typeof b === 'object') return canonicalJson(a) === canonicalJson(b);
  return String(a) === String(b);
}

/**
 * Inserts or updates one row found by `find` (a where clause on the natural key). Only
 * defined values are written; returns what happened.
 */
export async function upsert(
  sql: Sql,
  table: string,
  find: { where: string; params: unknown[] },
  values: Record<string, unknown>,
  types: { json?: string[]; textArray?: string[] } = {},
): Promise<{ outcome: Exclude<RowOutcome, { skipped: string }>; id: string }> {
  const jsonColumns = types.json ?? [];
  const arrayColumns = types.textArray ?? [];
  // knex expands array bindings into lists, so arrays go in as PostgreSQL literals.
  const cast = (c: string) => (jsonColumns.includes(c) ? '?::jsonb' : arrayColumns.includes(c) ? '?::text[]' : '?');
  const [existing] = await sql<{ id: string; data: Record<string, unknown> }>(
    `select id, to_jsonb(t) as data from ${table} t where ${find.where} limit 1 for update`,
    find.params,
  );
  const defined = Object.entries(values).filter(([, v]) => v !== undefined);
  const param = (col: string, v: unknown) => (jsonColumns.includes(col) ? JSON.stringify(v) : arrayColumns.includes(col) ? pgArray(v as string[]) : v);
  if (!existing) {
    const cols = defined.map(([c]) => c);
    const [row] = await sql<{ id: string }>(
      `insert into ${table} (${cols.join(', ')}) values (${cols.map(cast).join(', ')}) returning id`,
      defined.map(([c, v]) => param(c, v)),
    );
    return { outcome: 'created', id: row!.id };
  }
  const changed = defined.filter(([c, v]) => !same(existing.data[c], v));
  if (changed.length === 0) return { outcome: 'unchanged', id: existing.id };
  await sql(
    `update ${table} set ${changed.map(([c]) => `${c} = ${cast(c)}`).join(', ')}, updated_at = now() where id = ?`,
    [...changed.map(([c, v]) => param(c, v)), existing.id],
  );
  return { outcome: 'updated', id: existing.id };
}

