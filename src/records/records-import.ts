/**
 * `mailroom records import <kind> <file>`: records from the company's other systems.
 *
 * Two halves:
 * - parsing and validation (pure: text in, validated rows and problems out; unit-testable):
 *   CSV or JSON, header names matched loosely ("Order number", "order_number", "orderNumber"),
 *   one zod schema per kind, every problem reported with its line number and field;
 * - writing (upserts on each kind's natural key), so importing the same file twice changes
 *   nothing and the counts say so (created / updated / unchanged).
 *
 * An empty cell never clears a stored value: the other system's export may leave columns out,
 * and a re-import must not wipe what staff or an earlier import put there.
 * Passwords and password hashes are never imported: such columns are dropped with a warning.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import { sqlOf, pgArray, type Sql } from '../db/sql.ts';
import { normaliseAddress, domainOf, isFreeMailDomain } from '../threading/normalise-address.ts';
import { ORGANISATION_KINDS } from '../classify/routing-rules.ts';
import type { OrderLine } from '../entities/company-records.ts';

export const RECORD_KINDS = ['organisations', 'contacts', 'orders', 'portal-users', 'project-participants'] as const;
export type ImportKind = (typeof RECORD_KINDS)[number];

export interface RowProblem {
  /** 1-based line in the file where the row is (CSV: where it ends; JSON: where the object starts). */
  line: number;
  field?: string;
  message: string;
}

export interface ValidRow<T> {
  line: number;
  value: T;
}

export interface ParsedRecords {
  kind: ImportKind;
  rows: ValidRow<ImportRecord>[];
  problems: RowProblem[];
  warnings: string[];
}

/** A whole-file problem (unreadable, not CSV/JSON, no usable columns): nothing can be imported. */
export class RecordsFileError extends Error {
  override name = 'RecordsFileError';
}

// ---------------------------------------------------------------------------------------
// Field helpers
// ---------------------------------------------------------------------------------------

const blankToUndefined = (v: unknown) => {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' && v.trim() === '') return undefined;
  return typeof v === 'string' ? v.trim() : v;
};

const text = (max = 500) => z.preprocess(blankToUndefined, z.string({ error: 'must be text' }).max(max, `at most ${max} characters`).optional());
const requiredText = (max = 500) =>
  z.preprocess(blankToUndefined, z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be text') }).max(max, `at most ${max} characters`));

const email = z
  .string({ error: 'must be an email address' })
  .transform((v, ctx) => {
    const n = normaliseAddress(v);
    if (!n || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(n)) {
      ctx.addIssue({ code: 'custom', message: `not an email address (${JSON.stringify(v)})` });
      return z.NEVER;
    }
    return n;
  });
const requiredEmail = z.preprocess(blankToUndefined, z.any().refine((v) => v !== undefined, 'is required').pipe(email));
const optionalEmail = z.preprocess(blankToUndefined, email.optional());

const domain = z.preprocess(
  (v) => {
    const b = blankToUndefined(v);
    return typeof b === 'string' ? b.toLowerCase().replace(/^@/, '').replace(/\.+$/, '') : b;
  },
  z
    .string({ error: 'must be a domain name' })
    .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'not a domain name (like example.no)')
    .optional(),
);

/** Yes/no in the spellings exports use (including Norwegian ja/nei and a bare "x"). */
const flag = z.preprocess((v) => {
  const b = blankToUndefined(v);
  if (b === undefined || typeof b === 'boolean') return b;
  if (typeof b === 'number') return b === 1 ? true : b === 0 ? false : b;
  const s = String(b).toLowerCase();
  if (['true', 'yes', 'y', 'ja', 'j', '1', 'x'].includes(s)) return true;
  if (['false', 'no', 'n', 'nei', '0', '-'].includes(s)) return false;
  return s;
}, z.boolean({ error: (i) => `must be yes or no (got ${JSON.stringify(i.input)})` }).optional());

/** Numbers as exports write them: 1234.5, "1 234,50", "1234,5". */
function toNumber(v: unknown): unknown {
  const b = blankToUndefined(v);
  if (typeof b !== 'string') return b;
  const s = b.replace(/[\s\u00a0]/g, '');
  const normalised = /^-?\d+(,\d+)?$/.test(s) ? s.replace(',', '.') : s;
  const n = Number(normalised);
  return Number.isFinite(n) && normalised !== '' ? n : b;
}
const quantity = z.preprocess(toNumber, z.number({ error: (i) => `must be a number (got ${JSON.stringify(i.input)})` }).positive('must be more than 0'));
const price = z.preprocess(toNumber, z.number({ error: (i) => `must be a number (got ${JSON.stringify(i.input)})` }).min(0, 'must not be negative').optional());

/** A calendar date as YYYY-MM-DD, from ISO (also with a time) or Norwegian dd.mm.yyyy. */
const calendarDate = z.preprocess(
  blankToUndefined,
  z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a date') })
    .transform((v, ctx) => {
      let y: number, m: number, d: number;
      let match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(v);
      if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
      else if ((match = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(v))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
      else {
        ctx.addIssue({ code: 'custom', message: `not a date (use YYYY-MM-DD; got ${JSON.stringify(v)})` });
        return z.NEVER;
      }
      const date = new Date(Date.UTC(y, m - 1, d));
      if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
        ctx.addIssue({ code: 'custom', message: `no such date (${JSON.stringify(v)})` });
        return z.NEVER;
      }
      return date.toISOString().slice(0, 10);
    }),
);

const list = z.preprocess((v) => {
  const b = blankToUndefined(v);
  if (typeof b === 'string') return b.split(/[,;|]/).map((s) => s.trim()).filter(Boolean);
  return b;
}, z.array(z.string().trim().min(1).max(100)).optional());

// ---------------------------------------------------------------------------------------
// Schemas, one per kind. Keys are the canonical field names (also used in error reports).
// ---------------------------------------------------------------------------------------

export const organisationSchema = z.object({
  name: requiredText(300),
  kind: z.preprocess((v) => (typeof blankToUndefined(v) === 'string' ? String(v).trim().toLowerCase() : blankToUndefined(v)), z.enum(ORGANISATION_KINDS, { error: `must be one of ${ORGANISATION_KINDS.join(', ')}` }).optional()),
  domain,
  dealerNumber: text(50),
  externalRef: text(100),
});

export const contactSchema = z.object({
  email: requiredEmail,
  name: text(300),
  title: text(200),
  phone: text(50),
  organisation: text(300),
  roles: list,
  language: z.preprocess((v) => (typeof blankToUndefined(v) === 'string' ? String(v).trim().toLowerCase() : blankToUndefined(v)), z.enum(['nb', 'nn', 'en'], { error: 'must be nb, nn or en' }).optional()),
  externalRef: text(100),
});

const orderLineSchema = z.object({
  sku: text(100),
  description: text(500),
  quantity,
  unitPrice: price,
});

const orderHeader = {
  number: requiredText(100),
  date: calendarDate,
  buyer: text(300),
  buyerEmail: optionalEmail,
  buyerOrganisation: text(300),
  deliveryAddress: z.preprocess((v) => {
    // JSON may give the address as an object; store it as one line, in a fixed field order.
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const pick = (...keys: string[]) => keys.map((k) => o[k]).find((x) => typeof x === 'string' && x.trim());
      const postal = [pick('postcode', 'postalCode', 'zip'), pick('city', 'town')].filter(Boolean).join(' ');
      return [pick('name'), pick('street', 'address', 'line1'), pick('line2'), postal, pick('country')].filter(Boolean).join(', ');
    }
    return blankToUndefined(v);
  }, z.string({ error: 'must be text' }).max(1000).optional()),
  currency: z.preprocess((v) => (typeof blankToUndefined(v) === 'string' ? String(v).trim().toUpperCase() : blankToUndefined(v)), z.string().regex(/^[A-Z]{3}$/, 'must be a currency code like NOK').optional()),
};

/** A CSV row of an order: the order's fields plus one of its lines. */
export const orderCsvRowSchema = z
  .object({ ...orderHeader, ...orderLineSchema.shape })
  .refine((o) => o.buyer || o.buyerEmail || o.buyerOrganisation, { message: 'is required (buyer, buyerEmail or buyerOrganisation)', path: ['buyer'] });

/** A JSON order: the order's fields and its lines. */
export const orderJsonSchema = z
  .object({ ...orderHeader, lines: z.array(orderLineSchema, { error: 'must be a list of order lines' }).min(1, 'an order needs at least one line') })
  .refine((o) => o.buyer || o.buyerEmail || o.buyerOrganisation, { message: 'is required (buyer, buyerEmail or buyerOrganisation)', path: ['buyer'] });

export const portalUserSchema = z.object({
  username: requiredText(200),
  name: text(300),
  email: optionalEmail,
  mobile: text(50),
  superuser: flag,
  organisation: text(300),
});

export const projectParticipantSchema = z.object({
  project: requiredText(200),
  email: requiredEmail,
  name: text(300),
  role: text(200),
  phone: text(50),
  organisation: text(300),
});

export type OrganisationRecord = z.infer<typeof organisationSchema>;
export type ContactRecord = z.infer<typeof contactSchema>;
export interface OrderRecord {
  number: string;
  date: string;
  buyer?: string;
  buyerEmail?: string;
  buyerOrganisation?: string;
  deliveryAddress?: string;
  currency?: string;
  lines: OrderLine[];
}
export type PortalUserRecord = z.infer<typeof portalUserSchema>;
export type ProjectParticipantRecord = z.infer<typeof projectParticipantSchema>;
export type ImportRecord = OrganisationRecord | ContactRecord | OrderRecord | PortalUserRecord | ProjectParticipantRecord;

// ---------------------------------------------------------------------------------------
// Column names
// ---------------------------------------------------------------------------------------

const key = (s: string) => s.toLowerCase().replace(/[^a-z0-9æøå]/g, '');

/** Accepted spellings of each canonical field (compared lower-case, without separators). */
const ALIASES: Record<ImportKind, Record<string, string[]>> = {
  organisations: {
    name: ['name', 'organisation', 'organization', 'organisationname', 'company', 'companyname', 'firma', 'navn'],
    kind: ['kind', 'type', 'category'],
    domain: ['domain', 'emaildomain', 'domene'],
    dealerNumber: ['dealernumber', 'dealerno', 'dealer', 'forhandlernummer', 'forhandlernr'],
    externalRef: ['externalref', 'externalid', 'ref', 'id', 'customernumber', 'customerno', 'kundenummer', 'kundenr'],
  },
  contacts: {
    email: ['email', 'emailaddress', 'mail', 'epost'],
    name: ['name', 'fullname', 'navn'],
    title: ['title', 'jobtitle', 'stilling'],
    phone: ['phone', 'telephone', 'mobile', 'mobil', 'telefon'],
    organisation: ['organisation', 'organization', 'company', 'organisationname', 'organisationref', 'organisationdomain', 'firma'],
    roles: ['roles', 'role', 'roller'],
    language: ['language', 'lang', 'språk'],
    externalRef: ['externalref', 'externalid', 'ref', 'id'],
  },
  orders: {
    number: ['number', 'ordernumber', 'orderno', 'order', 'orderid', 'ordrenummer', 'ordrenr'],
    date: ['date', 'orderdate', 'dato', 'ordredato'],
    buyer: ['buyer', 'buyername', 'customer', 'customername', 'kjøper', 'kunde'],
    buyerEmail: ['buyeremail', 'customeremail', 'email'],
    buyerOrganisation: ['buyerorganisation', 'buyerorganization', 'organisation', 'organization', 'customerref', 'customernumber', 'buyerref'],
    deliveryAddress: ['deliveryaddress', 'shippingaddress', 'address', 'leveringsadresse'],
    currency: ['currency', 'valuta'],
    lines: ['lines', 'orderlines', 'items'],
    sku: ['sku', 'item', 'itemnumber', 'productnumber', 'product', 'varenummer', 'varenr'],
    description: ['description', 'itemdescription', 'text', 'beskrivelse'],
    quantity: ['quantity', 'qty', 'antall'],
    unitPrice: ['unitprice', 'price', 'pris', 'enhetspris'],
  },
  'portal-users': {
    username: ['username', 'user', 'login', 'userid', 'brukernavn'],
    name: ['name', 'fullname', 'navn'],
    email: ['email', 'emailaddress', 'mail', 'epost'],
    mobile: ['mobile', 'mobil', 'phone', 'mobilephone', 'telefon'],
    superuser: ['superuser', 'admin', 'isadmin', 'issuperuser', 'superbruker'],
    organisation: ['organisation', 'organization', 'company', 'customerref', 'firma'],
  },
  'project-participants': {
    project: ['project', 'projectname', 'projectcode', 'projectref', 'prosjekt'],
    email: ['email', 'emailaddress', 'mail', 'epost'],
    name: ['name', 'fullname', 'navn'],
    role: ['role', 'rolle'],
    phone: ['phone', 'mobile', 'mobil', 'telefon'],
    organisation: ['organisation', 'organization', 'company', 'firma'],
  },
};

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

export function mapColumns(kind: ImportKind, columns: string[]): ColumnMap {
  const aliases = ALIASES[kind];
  const byAlias = new Map<string, string>();
  for (const [field, names] of Object.entries(aliases)) {
    byAlias.set(key(field), field);
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
    const field = byAlias.get(key(col));
    if (field && !taken.has(field)) {
      fields.set(col, field);
      taken.add(field);
    } else ignored.push(col);
  }
  return { fields, ignored, secret };
}

// ---------------------------------------------------------------------------------------
// Reading CSV and JSON into raw rows with line numbers
// ---------------------------------------------------------------------------------------

interface RawRow {
  line: number;
  fields: Record<string, unknown>;
}

export type RecordsFormat = 'csv' | 'json';

export function formatOfFile(file: string): RecordsFormat | null {
  const ext = file.toLowerCase().split('.').pop();
  return ext === 'csv' || ext === 'txt' ? 'csv' : ext === 'json' ? 'json' : null;
}

function readCsv(text: string): { columns: string[]; rows: RawRow[] } {
  // Exports from Norwegian Excel use ';'; pick the delimiter the header line uses most.
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\t'].map((d) => [d, header.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  let records: { info: { lines: number }; record: Record<string, string> }[];
  let columns: string[] = [];
  try {
    records = parseCsv(text, {
      bom: true,
      delimiter,
      columns: (h: string[]) => (columns = h.map((c) => String(c).trim())),
      info: true,
      skip_empty_lines: true,
      relax_column_count: false,
    }) as never;
  } catch (e) {
    const err = e as { message: string; lines?: number };
    throw new RecordsFileError(`not valid CSV${err.lines ? ` at line ${err.lines}` : ''}: ${err.message.replace(/^Invalid Record Length: /, '').split('\n')[0]}`);
  }
  return { columns, rows: records.map((r) => ({ line: r.info.lines, fields: r.record })) };
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

function readJson(text: string, kind: ImportKind): { columns: string[]; rows: RawRow[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new RecordsFileError(`not valid JSON: ${(e as Error).message}`);
  }
  let items: unknown[];
  let depth = 1;
  if (Array.isArray(doc)) items = doc;
  else if (doc && typeof doc === 'object') {
    const o = doc as Record<string, unknown>;
    const arrays = Object.keys(o).filter((k) => Array.isArray(o[k]));
    const name = [kind, kind.replace(/-(.)/g, (_m, c: string) => c.toUpperCase()), 'records', 'items', 'data'].find((k) => Array.isArray(o[k])) ?? (arrays.length === 1 ? arrays[0] : undefined);
    if (!name) throw new RecordsFileError(`JSON must be an array of ${kind} (or an object with one array of them)`);
    items = o[name] as unknown[];
    depth = 2;
  } else throw new RecordsFileError(`JSON must be an array of ${kind}`);
  // Only exact when the wrapper object holds nothing else nested; otherwise count items instead.
  let lines = jsonElementLines(text, depth);
  if (lines.length !== items.length) lines = [];
  const columns = new Set<string>();
  const rows = items.map((item, i) => {
    const fields = item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : { __notAnObject: item };
    for (const k of Object.keys(fields)) if (k !== '__notAnObject') columns.add(k);
    return { line: lines[i] ?? i + 1, fields };
  });
  return { columns: [...columns], rows };
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

function problemsOf(line: number, error: z.ZodError, sourceName: (field: string) => string): RowProblem[] {
  return error.issues.map((i) => {
    const field = i.path.length ? i.path.map(String).join('.') : undefined;
    const top = i.path.length ? String(i.path[0]) : undefined;
    const shown = field && top ? field.replace(top, sourceName(top)) : field;
    const message = i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message;
    return { line, field: shown, message };
  });
}

function schemaFor(kind: ImportKind, format: RecordsFormat): z.ZodType {
  switch (kind) {
    case 'organisations':
      return organisationSchema;
    case 'contacts':
      return contactSchema;
    case 'orders':
      return format === 'json' ? orderJsonSchema : orderCsvRowSchema;
    case 'portal-users':
      return portalUserSchema;
    case 'project-participants':
      return projectParticipantSchema;
  }
}

const REQUIRED: Record<ImportKind, string[]> = {
  organisations: ['name'],
  contacts: ['email'],
  orders: ['number', 'date'],
  'portal-users': ['username'],
  'project-participants': ['project', 'email'],
};

/**
 * Text in, validated rows out. Rows with problems are left out of `rows` and reported in
 * `problems` (line and field); the caller decides whether the rest is imported.
 * Throws RecordsFileError when the file as a whole cannot be used.
 */
export function parseRecords(kind: ImportKind, text: string, format: RecordsFormat): ParsedRecords {
  if (!RECORD_KINDS.includes(kind)) throw new RecordsFileError(`unknown kind "${kind}" (one of ${RECORD_KINDS.join(', ')})`);
  const { columns, rows } = format === 'csv' ? readCsv(text) : readJson(text, kind);
  const map = mapColumns(kind, columns);
  const warnings: string[] = [];
  if (map.secret.length) warnings.push(`column${map.secret.length > 1 ? 's' : ''} ${map.secret.map((c) => `"${c}"`).join(', ')} ignored: passwords and hashes are never imported`);
  if (map.ignored.length) warnings.push(`column${map.ignored.length > 1 ? 's' : ''} ${map.ignored.map((c) => `"${c}"`).join(', ')} not recognised for ${kind}; ignored`);
  const mapped = new Set(map.fields.values());
  const missing = REQUIRED[kind].filter((f) => !mapped.has(f));
  if (rows.length > 0 && missing.length) {
    throw new RecordsFileError(`no ${missing.map((m) => `"${m}"`).join(', ')} column for ${kind} (columns found: ${columns.join(', ') || 'none'})`);
  }
  const sourceOf = new Map([...map.fields].map(([col, field]) => [field, col]));
  const sourceName = (field: string) => sourceOf.get(field) ?? field;
  const schema = schemaFor(kind, format);
  const problems: RowProblem[] = [];
  const valid: ValidRow<Record<string, unknown>>[] = [];
  for (const row of rows) {
    if ('__notAnObject' in row.fields) {
      problems.push({ line: row.line, message: 'not an object' });
      continue;
    }
    const canonical: Record<string, unknown> = {};
    for (const [col, value] of Object.entries(row.fields)) {
      const field = map.fields.get(col);
      if (field) canonical[field] = value;
    }
    const result = schema.safeParse(canonical);
    if (result.success) valid.push({ line: row.line, value: result.data as Record<string, unknown> });
    else problems.push(...problemsOf(row.line, result.error, sourceName));
  }
  const out: ValidRow<ImportRecord>[] =
    kind === 'orders' && format === 'csv' ? groupOrderLines(valid, problems, sourceName) : (valid as ValidRow<ImportRecord>[]);
  if (kind === 'orders' && format === 'json') {
    for (const r of out) (r.value as OrderRecord).lines = (r.value as OrderRecord).lines.map(cleanLine);
  }
  const seen = new Map<string, number>();
  const unique: ValidRow<ImportRecord>[] = [];
  for (const r of out) {
    const k = naturalKey(kind, r.value);
    const first = seen.get(k);
    if (first !== undefined) {
      problems.push({ line: r.line, field: sourceName(naturalKeyField(kind, r.value)), message: `same ${naturalKeyField(kind, r.value)} as line ${first}` });
      continue;
    }
    seen.set(k, r.line);
    unique.push(r);
  }
  problems.sort((a, b) => a.line - b.line);
  return { kind, rows: unique, problems, warnings };
}

/** An order line with only the fields it has, in a fixed key order (so re-imports compare equal). */
function cleanLine(l: OrderLine): OrderLine {
  return {
    ...(l.sku !== undefined ? { sku: l.sku } : {}),
    ...(l.description !== undefined ? { description: l.description } : {}),
    quantity: l.quantity,
    ...(l.unitPrice !== undefined ? { unitPrice: l.unitPrice } : {}),
  };
}

/** CSV orders come one row per order line; rows with the same number form one order and must agree on its fields. */
function groupOrderLines(rows: ValidRow<Record<string, unknown>>[], problems: RowProblem[], sourceName: (f: string) => string): ValidRow<ImportRecord>[] {
  const orders = new Map<string, { line: number; value: OrderRecord; bad: boolean }>();
  const headerFields = ['date', 'buyer', 'buyerEmail', 'buyerOrganisation', 'deliveryAddress', 'currency'] as const;
  for (const { line, value: v } of rows) {
    const number = v.number as string;
    const orderLine = cleanLine({ sku: v.sku as string | undefined, description: v.description as string | undefined, quantity: v.quantity as number, unitPrice: v.unitPrice as number | undefined });
    const existing = orders.get(number);
    if (!existing) {
      const value: OrderRecord = { number, date: v.date as string, lines: [orderLine] };
      for (const f of headerFields) if (v[f] !== undefined) (value as unknown as Record<string, unknown>)[f] = v[f];
      orders.set(number, { line, value, bad: false });
      continue;
    }
    const conflict = headerFields.find((f) => v[f] !== undefined && (existing.value as unknown as Record<string, unknown>)[f] !== undefined && v[f] !== (existing.value as unknown as Record<string, unknown>)[f]);
    if (conflict) {
      problems.push({ line, field: sourceName(conflict), message: `differs from line ${existing.line} of the same order ${number}` });
      existing.bad = true;
      continue;
    }
    for (const f of headerFields) if (v[f] !== undefined) (existing.value as unknown as Record<string, unknown>)[f] ??= v[f];
    existing.value.lines.push(orderLine);
  }
  // An order with a bad line is not imported half: the whole order waits for a fixed file.
  return [...orders.values()].filter((o) => !o.bad).map((o) => ({ line: o.line, value: o.value }));
}

function naturalKeyField(kind: ImportKind, v: ImportRecord): string {
  switch (kind) {
    case 'organisations': {
      const o = v as OrganisationRecord;
      return o.externalRef ? 'externalRef' : o.domain ? 'domain' : o.dealerNumber ? 'dealerNumber' : 'name';
    }
    case 'contacts':
      return 'email';
    case 'orders':
      return 'number';
    case 'portal-users':
      return 'username';
    case 'project-participants':
      return 'email';
  }
}

function naturalKey(kind: ImportKind, v: ImportRecord): string {
  const r = v as Record<string, unknown>;
  if (kind === 'project-participants') return `${String(r.project).toLowerCase()}\u0000${r.email}`;
  const field = naturalKeyField(kind, v);
  return `${field}\u0000${String(r[field]).toLowerCase()}`;
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

export type RowOutcome = 'created' | 'updated' | 'unchanged';

export interface ImportSummary {
  kind: ImportKind;
  /** Rows in the file that passed validation. */
  valid: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** False when --all-or-nothing stopped the import (nothing was written). */
  imported: boolean;
  problems: RowProblem[];
  warnings: string[];
}

/** A row that is valid on its own but does not fit the database (unknown organisation, taken key). */
export class RowError extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

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
async function upsert(
  sql: Sql,
  table: string,
  find: { where: string; params: unknown[] },
  values: Record<string, unknown>,
  types: { json?: string[]; textArray?: string[] } = {},
): Promise<{ outcome: RowOutcome; id: string }> {
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

/** An organisation named by external ref, domain or name (as contacts and orders refer to them). */
export async function resolveOrganisation(sql: Sql, ref: string, field: string): Promise<string> {
  const [byRef] = await sql<{ id: string }>('select id from organisation where external_ref = ?', [ref]);
  if (byRef) return byRef.id;
  const [byDomain] = await sql<{ id: string }>('select id from organisation where domain = ?', [ref.toLowerCase().replace(/^@/, '')]);
  if (byDomain) return byDomain.id;
  const byName = await sql<{ id: string }>('select id from organisation where lower(name) = lower(?) limit 2', [ref]);
  if (byName.length === 1) return byName[0]!.id;
  if (byName.length > 1) throw new RowError(field, `more than one organisation is named ${JSON.stringify(ref)}; use its external ref or domain`);
  throw new RowError(field, `no organisation with name, external ref or domain ${JSON.stringify(ref)}`);
}

async function organisationByEmailDomain(sql: Sql, email: string): Promise<string | null> {
  const d = domainOf(email);
  if (!d || isFreeMailDomain(d)) return null;
  const [row] = await sql<{ id: string }>('select id from organisation where domain = ?', [d]);
  return row?.id ?? null;
}

async function contactByEmail(sql: Sql, email: string | undefined): Promise<{ id: string; organisation_id: string | null } | null> {
  if (!email) return null;
  const [row] = await sql<{ id: string; organisation_id: string | null }>('select id, organisation_id from contact where email = ?', [email]);
  return row ?? null;
}

async function writeOrganisation(sql: Sql, r: OrganisationRecord): Promise<RowOutcome> {
  const tries: [string, unknown][] = [];
  if (r.externalRef) tries.push(['external_ref = ?', r.externalRef]);
  if (r.domain) tries.push(['domain = ?', r.domain]);
  if (r.dealerNumber) tries.push(['dealer_number = ?', r.dealerNumber]);
  tries.push(['lower(name) = lower(?)', r.name]);
  let where = { where: 'false', params: [] as unknown[] };
  for (const [clause, value] of tries) {
    const found = await sql('select id from organisation where ' + clause + ' limit 1', [value]);
    if (found.length) {
      where = { where: clause, params: [value] };
      break;
    }
  }
  const { outcome } = await upsert(sql, 'organisation', where, {
    name: r.name,
    kind: r.kind,
    domain: r.domain,
    dealer_number: r.dealerNumber,
    external_ref: r.externalRef,
  });
  return outcome;
}

async function writeContact(sql: Sql, r: ContactRecord): Promise<RowOutcome> {
  const existing = await contactByEmail(sql, r.email);
  let organisationId: string | undefined;
  if (r.organisation) organisationId = await resolveOrganisation(sql, r.organisation, 'organisation');
  else if (!existing?.organisation_id) organisationId = (await organisationByEmailDomain(sql, r.email)) ?? undefined;
  const { outcome } = await upsert(sql, 'contact', { where: 'email = ?', params: [r.email] }, {
    email: r.email,
    name: r.name,
    title: r.title,
    phone: r.phone,
    organisation_id: organisationId,
    roles: r.roles ? [...new Set(r.roles)] : undefined,
    language: r.language,
    external_ref: r.externalRef,
  }, { textArray: ['roles'] });
  return outcome;
}

async function writeOrder(sql: Sql, r: OrderRecord): Promise<RowOutcome> {
  let buyerEmail = r.buyerEmail;
  let buyerName = r.buyer;
  // "buyer" holding an address is the buyer's email.
  if (!buyerEmail && buyerName && normaliseAddress(buyerName) && /@/.test(buyerName) && !/\s/.test(buyerName.trim())) {
    buyerEmail = normaliseAddress(buyerName);
    buyerName = undefined;
  }
  const contact = await contactByEmail(sql, buyerEmail);
  const organisationId = r.buyerOrganisation ? await resolveOrganisation(sql, r.buyerOrganisation, 'buyerOrganisation') : (contact?.organisation_id ?? undefined);
  const { outcome } = await upsert(
    sql,
    'customer_order',
    { where: 'order_number = ?', params: [r.number] },
    {
      order_number: r.number,
      order_date: r.date,
      buyer_name: buyerName,
      buyer_email: buyerEmail,
      buyer_contact_id: contact?.id,
      buyer_organisation_id: organisationId,
      delivery_address: r.deliveryAddress,
      currency: r.currency,
      lines: r.lines,
    },
    { json: ['lines'] },
  );
  return outcome;
}

async function writePortalUser(sql: Sql, r: PortalUserRecord): Promise<RowOutcome> {
  const contact = await contactByEmail(sql, r.email);
  const organisationId = r.organisation ? await resolveOrganisation(sql, r.organisation, 'organisation') : (contact?.organisation_id ?? undefined);
  const { outcome } = await upsert(sql, 'portal_user', { where: 'username = ?', params: [r.username] }, {
    username: r.username,
    name: r.name,
    email: r.email,
    mobile: r.mobile,
    superuser: r.superuser,
    contact_id: contact?.id,
    organisation_id: organisationId,
  });
  return outcome;
}

async function writeProjectParticipant(sql: Sql, r: ProjectParticipantRecord): Promise<RowOutcome> {
  const contact = await contactByEmail(sql, r.email);
  const organisationId = r.organisation ? await resolveOrganisation(sql, r.organisation, 'organisation') : (contact?.organisation_id ?? (await organisationByEmailDomain(sql, r.email)) ?? undefined);
  const { outcome } = await upsert(sql, 'project_participant', { where: 'project = ? and email = ?', params: [r.project, r.email] }, {
    project: r.project,
    email: r.email,
    name: r.name,
    role: r.role,
    phone: r.phone,
    contact_id: contact?.id,
    organisation_id: organisationId,
  });
  return outcome;
}

/** Writes one validated record in `em`'s transaction. Throws RowError when it does not fit. */
export async function writeRecord(em: EntityManager, kind: ImportKind, record: ImportRecord): Promise<RowOutcome> {
  const sql = sqlOf(em);
  switch (kind) {
    case 'organisations':
      return writeOrganisation(sql, record as OrganisationRecord);
    case 'contacts':
      return writeContact(sql, record as ContactRecord);
    case 'orders':
      return writeOrder(sql, record as OrderRecord);
    case 'portal-users':
      return writePortalUser(sql, record as PortalUserRecord);
    case 'project-participants':
      return writeProjectParticipant(sql, record as ProjectParticipantRecord);
  }
}

/** A database refusal of one row, in words (which key is taken). */
function rowProblemOf(line: number, e: unknown): RowProblem {
  if (e instanceof RowError) return { line, field: e.field, message: e.message };
  const err = e as { code?: string; constraint?: string; detail?: string; message?: string };
  if (err?.code === '23505') {
    const m = /Key \(([^)]+)\)=\(([^)]*)\)/.exec(err.detail ?? '');
    const field = m?.[1]?.replace(/_([a-z])/g, (_x, c: string) => c.toUpperCase());
    return { line, field, message: m ? `${JSON.stringify(m[2])} is already used by another record` : 'duplicates another record' };
  }
  if (err?.code === '42P01') throw e; // missing table: a setup problem, not a row problem
  return { line, message: String(err?.message ?? e).split('\n')[0]!.replace(/^.* - /, '') };
}

class RollbackAll extends Error {}

/**
 * Writes the valid rows. Each row commits on its own, so one that does not fit is reported and
 * the rest go in; with `allOrNothing`, any bad row (in the file or refused by the database)
 * means nothing is written.
 */
export async function importRecords(orm: Orm, parsed: ParsedRecords, opts: { allOrNothing?: boolean } = {}): Promise<ImportSummary> {
  const summary: ImportSummary = {
    kind: parsed.kind,
    valid: parsed.rows.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    imported: true,
    problems: [...parsed.problems],
    warnings: parsed.warnings,
  };
  const rejectedLines = new Set(parsed.problems.map((p) => p.line));
  const finish = () => {
    summary.rejected = new Set(summary.problems.map((p) => p.line)).size;
    summary.problems.sort((a, b) => a.line - b.line);
    return summary;
  };
  if (opts.allOrNothing && rejectedLines.size > 0) {
    summary.imported = false;
    return finish();
  }
  if (opts.allOrNothing) {
    const counts = { created: 0, updated: 0, unchanged: 0 };
    const problems: RowProblem[] = [];
    try {
      await orm.em.fork().transactional(async (em) => {
        for (const row of parsed.rows) {
          try {
            // A savepoint per row, so a refused row does not abort the checks of the others.
            counts[await em.transactional((inner) => writeRecord(inner, parsed.kind, row.value))]++;
          } catch (e) {
            problems.push(rowProblemOf(row.line, e));
          }
        }
        if (problems.length) throw new RollbackAll();
      });
      Object.assign(summary, counts);
    } catch (e) {
      if (!(e instanceof RollbackAll)) throw e;
      summary.problems.push(...problems);
      summary.imported = false;
    }
    return finish();
  }
  for (const row of parsed.rows) {
    try {
      const outcome = await orm.em.fork().transactional((em) => writeRecord(em, parsed.kind, row.value));
      summary[outcome]++;
    } catch (e) {
      summary.problems.push(rowProblemOf(row.line, e));
    }
  }
  return finish();
}

export function formatProblem(p: RowProblem): string {
  return `line ${p.line}${p.field ? `, ${p.field}` : ''}: ${p.message}`;
}

// ---------------------------------------------------------------------------------------
// What a file of each kind may hold (for `records import --help`)
// ---------------------------------------------------------------------------------------

const ROW_SCHEMAS: Record<ImportKind, z.ZodType> = {
  organisations: organisationSchema,
  contacts: contactSchema,
  orders: orderCsvRowSchema,
  'portal-users': portalUserSchema,
  'project-participants': projectParticipantSchema,
};

export interface AcceptedColumn {
  field: string;
  /** Refused when missing or empty. */
  required: boolean;
  /** Other headers read as this field. */
  aliases: string[];
}

/** The columns a file of `kind` may have, from the same schemas and aliases the import uses. */
export function acceptedColumns(kind: ImportKind): AcceptedColumn[] {
  const schema = ROW_SCHEMAS[kind] as z.ZodObject;
  return Object.entries(ALIASES[kind]).map(([field, names]) => {
    const fieldSchema = schema.shape?.[field] as z.ZodType | undefined;
    return { field, required: fieldSchema ? !fieldSchema.safeParse(undefined).success : false, aliases: names.filter((n) => n !== key(field)) };
  });
}
