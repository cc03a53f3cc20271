/**
 * `subscribers import`: people who consented elsewhere, from a CSV or JSON file, through the
 * same table import as `records import` (encoding and separator from the file, every bad row
 * reported with its line and column, the rest imported or, with --all-or-nothing, none). Each
 * row is added by the domain's importSubscribers, so its rules hold here too: suppressed
 * addresses are never re-added (reported as skipped), subscriptions are confirmed with the
 * consent source, and every change is in the consent log.
 */
import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import type { Aliases } from '../table-import/columns.ts';
import { choice, requiredEmail, text } from '../table-import/fields.ts';
import { parseTable, type ParsedTable, type TableSpec } from '../table-import/parse-table.ts';
import { readTable, type TableFormat } from '../table-import/read-table.ts';
import { importRows, RowError, type ImportSummary, type RowOutcome } from '../table-import/import-rows.ts';
import { importSubscribers, listsBySlugOrId, type ListRow } from './subscribers.ts';

export const SUBSCRIBER_ALIASES: Aliases = {
  email: ['email', 'emailaddress', 'mail', 'epost', 'epostadresse'],
  name: ['name', 'fullname', 'navn', 'fulltnavn'],
  language: ['language', 'lang', 'språk', 'sprak', 'målform'],
};

export const SUBSCRIBER_REQUIRED = ['email'];

export const subscriberRowSchema = z.object({
  email: requiredEmail,
  name: text(300),
  language: choice(['nb', 'nn', 'no', 'en'], 'must be nb or en'),
});

export type SubscriberRow = z.infer<typeof subscriberRowSchema>;

const spec: TableSpec<SubscriberRow> = {
  kind: 'subscribers',
  aliases: SUBSCRIBER_ALIASES,
  required: SUBSCRIBER_REQUIRED,
  schema: subscriberRowSchema,
  naturalKey: (v) => ({ key: v.email, field: 'email' }),
};

/** Text in, validated rows out (pure). Throws TableFileError when the file as a whole cannot be used. */
export function parseSubscribers(text: string, format: TableFormat): ParsedTable<SubscriberRow> {
  return parseTable(spec, readTable(text, format, 'subscribers', ['subscribers']));
}

/** The lists named by slug or id, and the names that match none. */
export async function resolveLists(em: EntityManager, refs: string[]): Promise<{ lists: ListRow[]; unknown: string[] }> {
  const lists = await listsBySlugOrId(em, refs);
  const unknown = refs.filter((r) => !lists.some((l) => l.slug === r || l.id === r));
  return { lists, unknown };
}

/** One row through the domain function; its counts become the row's outcome. */
async function writeSubscriber(em: EntityManager, row: SubscriberRow, input: { listIds: string[]; source: string; secret: string }): Promise<RowOutcome> {
  const language = row.language === 'en' ? 'en' : row.language ? 'nb' : null;
  const r = await importSubscribers(em, input.secret, [{ email: row.email, name: row.name ?? null, language }], input.listIds, input.source);
  if (r.invalid) throw new RowError('email', `not an address the newsletter can send to (${JSON.stringify(row.email)})`);
  if (r.skippedSuppressed) return { skipped: 'the address is suppressed (unsubscribed, complained, bounced or erased); an import never adds it again' };
  return r.added ? 'created' : 'unchanged';
}

export async function importSubscriberRows(
  orm: Orm,
  parsed: ParsedTable<SubscriberRow>,
  input: { listIds: string[]; source: string; secret: string },
  opts: { allOrNothing?: boolean } = {},
): Promise<ImportSummary> {
  return importRows(orm, parsed, (em, row) => writeSubscriber(em, row, input), opts);
}
