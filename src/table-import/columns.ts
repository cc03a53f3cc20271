/** Header names matched loosely ("Order number", "order_number", "orderNumber") to canonical fields. */

/** Accepted spellings of each canonical field, compared lower-case without separators. */
export type Aliases = Record<string, string[]>;

export const columnKey = (s: string) => s.toLowerCase().replace(/[^a-z0-9æøå]/g, '');

/** Columns that may hold a secret; never imported (the seed: passwords are one-way hashed, by the portal). */
export function isSecretColumn(name: string): boolean {
  return /pass(word|wd|ord)?|pwd|hash|secret|salt|token|pin$/i.test(name.replace(/[^a-z]/gi, ''));
}

export interface ColumnMap {
  /** source column → canonical field */
  fields: Map<string, string>;
  ignored: string[];
  secret: string[];
}

export function mapColumns(aliases: Aliases, columns: string[]): ColumnMap {
  const byAlias = new Map<string, string>();
  for (const [field, names] of Object.entries(aliases)) {
    byAlias.set(columnKey(field), field);
    for (const n of names) if (!byAlias.has(n)) byAlias.set(n, field);
  }
  const fields = new Map<string, string>();
  const taken = new Set<string>();
  const ignored: string[] = [];
  const secret: string[] = [];
  for (const col of columns) {
    if (isSecretColumn(col)) {
      secret.push(col);
      continue;
    }
    const field = byAlias.get(columnKey(col));
    if (field && !taken.has(field)) {
      fields.set(col, field);
      taken.add(field);
    } else ignored.push(col);
  }
  return { fields, ignored, secret };
}

/** "email (also: e-mail, epost)" lines for help texts. */
export function describeColumns(aliases: Aliases, required: string[]): string[] {
  return Object.entries(aliases).map(([field, names]) => `${field}${required.includes(field) ? ' (required)' : ''}${names.length ? `: ${names.filter((n) => n !== columnKey(field)).join(', ')}` : ''}`);
}
