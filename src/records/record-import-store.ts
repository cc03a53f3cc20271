/**
 * What `mailroom records import` writes and looks up (record-writers.ts decides what): one
 * named upsert per record kind on its natural key, over the one upsert engine below (a row
 * found by its key is updated with the values that differ, or inserted; the outcome says which,
 * so a re-import reports "unchanged"; only defined values are written: an empty cell never
 * clears a stored value), and the lookups that link records to contacts and organisations.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray, type Sql } from '../db/sql.ts';
import type { RowOutcome } from '../table-import/import-rows.ts';
import { organisationNamed } from './contact-store.ts';

type Upserted = { outcome: Exclude<RowOutcome, { skipped: string }>; id: string };

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
): Promise<Upserted> {
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


/** An organisation's id by external ref, or null. */
export async function organisationIdByExternalRef(em: EntityManager, ref: string): Promise<string | null> {
  const [row] = await sqlOf(em)<{ id: string }>('select id from organisation where external_ref = ?', [ref]);
  return row?.id ?? null;
}

/** An organisation's id by domain, or null. */
export async function organisationIdByDomain(em: EntityManager, domain: string): Promise<string | null> {
  const [row] = await sqlOf(em)<{ id: string }>('select id from organisation where domain = ?', [domain]);
  return row?.id ?? null;
}

/** The one organisation with this name (any case), 'ambiguous' when several share it, or null. */
export async function organisationIdByName(em: EntityManager, name: string): Promise<{ id: string } | 'ambiguous' | null> {
  return organisationNamed(sqlOf(em), name);
}

/** A contact's id and organisation by (normalised) address, or null. */
export async function contactByEmail(em: EntityManager, email: string): Promise<{ id: string; organisation_id: string | null } | null> {
  const [row] = await sqlOf(em)<{ id: string; organisation_id: string | null }>('select id, organisation_id from contact where email = ?', [email]);
  return row ?? null;
}

/**
 * An imported organisation, found by the first of its keys that matches a stored one (external
 * ref, domain, dealer number, then name in any case), else inserted.
 */
export async function upsertOrganisation(
  em: EntityManager,
  keys: { externalRef?: string; domain?: string; dealerNumber?: string; name: string },
  values: Record<string, unknown>,
): Promise<Upserted> {
  const sql = sqlOf(em);
  const tries: [string, unknown][] = [];
  if (keys.externalRef) tries.push(['external_ref = ?', keys.externalRef]);
  if (keys.domain) tries.push(['domain = ?', keys.domain]);
  if (keys.dealerNumber) tries.push(['dealer_number = ?', keys.dealerNumber]);
  tries.push(['lower(name) = lower(?)', keys.name]);
  let where = { where: 'false', params: [] as unknown[] };
  for (const [clause, value] of tries) {
    const found = await sql('select id from organisation where ' + clause + ' limit 1', [value]);
    if (found.length) {
      where = { where: clause, params: [value] };
      break;
    }
  }
  return upsert(sql, 'organisation', where, values);
}

/** An imported contact, by address. */
export async function upsertContact(em: EntityManager, email: string, values: Record<string, unknown>): Promise<Upserted> {
  return upsert(sqlOf(em), 'contact', { where: 'email = ?', params: [email] }, values, { textArray: ['roles'] });
}

/** An imported order, by order number. */
export async function upsertOrder(em: EntityManager, orderNumber: string, values: Record<string, unknown>): Promise<Upserted> {
  return upsert(sqlOf(em), 'customer_order', { where: 'order_number = ?', params: [orderNumber] }, values, { json: ['lines'] });
}

/** An imported portal user, by username. */
export async function upsertPortalUser(em: EntityManager, username: string, values: Record<string, unknown>): Promise<Upserted> {
  return upsert(sqlOf(em), 'portal_user', { where: 'username = ?', params: [username] }, values);
}

/** An imported project participant, by project and address. */
export async function upsertProjectParticipant(em: EntityManager, project: string, email: string, values: Record<string, unknown>): Promise<Upserted> {
  return upsert(sqlOf(em), 'project_participant', { where: 'project = ? and email = ?', params: [project, email] }, values);
}
