/**
 * What `records import` accepts, per kind: the zod schema of a row (keys are the canonical field
 * names, also used in error reports), the column names other systems use for each field, the
 * columns a file must have, and what makes two rows the same record. Pure.
 */
import { z } from 'zod';
import { ORGANISATION_KINDS } from '../classify/routing-rules.ts';
import type { OrderLine } from '../entities/company-records.ts';
import type { Aliases } from '../table-import/columns.ts';
import type { TableFormat, RowProblem } from '../table-import/read-table.ts';
import type { ValidRow } from '../table-import/parse-table.ts';
import { blankToUndefined, calendarDate, choice, domain, flag, list, optionalEmail, price, quantity, requiredEmail, requiredText, text } from '../table-import/fields.ts';

export const RECORD_KINDS = ['organisations', 'contacts', 'orders', 'portal-users', 'project-participants'] as const;
export type ImportKind = (typeof RECORD_KINDS)[number];

export const organisationSchema = z.object({
  name: requiredText(300),
  kind: choice(ORGANISATION_KINDS),
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
  language: choice(['nb', 'nn', 'en'], 'must be nb, nn or en'),
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


// Column names other systems use

/** Accepted spellings of each canonical field (compared lower-case, without separators). */
export const RECORD_ALIASES: Record<ImportKind, Aliases> = {
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

export const RECORD_REQUIRED: Record<ImportKind, string[]> = {
  organisations: ['name'],
  contacts: ['email'],
  orders: ['number', 'date'],
  'portal-users': ['username'],
  'project-participants': ['project', 'email'],
};

export function schemaFor(kind: ImportKind, format: TableFormat): z.ZodType {
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

export function naturalKeyField(kind: ImportKind, v: ImportRecord): string {
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

export function naturalKey(kind: ImportKind, v: ImportRecord): string {
  const r = v as Record<string, unknown>;
  if (kind === 'project-participants') return `${String(r.project).toLowerCase()}\u0000${r.email}`;
  const field = naturalKeyField(kind, v);
  return `${field}\u0000${String(r[field]).toLowerCase()}`;
}

/** An order line with only the fields it has, in a fixed key order (so re-imports compare equal). */
export function cleanLine(l: OrderLine): OrderLine {
  return {
    ...(l.sku !== undefined ? { sku: l.sku } : {}),
    ...(l.description !== undefined ? { description: l.description } : {}),
    quantity: l.quantity,
    ...(l.unitPrice !== undefined ? { unitPrice: l.unitPrice } : {}),
  };
}

/** CSV orders come one row per order line; rows with the same number form one order and must agree on its fields. */
export function groupOrderLines(rows: ValidRow<Record<string, unknown>>[], problems: RowProblem[], sourceName: (f: string) => string): ValidRow<ImportRecord>[] {
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

