/**
 * Named queries over `address_suppression`, the one suppression list (rows hold keyed hashes,
 * never an address). The rules (which kind stops what, the hashes, re-keying) are in
 * suppression-list.ts. Raw SQL: the look-ups take a whole batch of hashes in one statement,
 * and re-keying moves rows in one statement (see rekeyLegacyRows).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';

/** Adds a keyed row (idempotent per hash and kind). */
export async function insertKeyedSuppression(em: EntityManager, row: { addressHash: string; kind: string; source: string | null; caseId: string | null }): Promise<void> {
  await sqlOf(em)(
    `insert into address_suppression (address_hash, kind, scheme, source, case_id) values (?, ?, 'hmac-sha256', ?, ?) on conflict (address_hash, kind) do nothing`,
    [row.addressHash, row.kind, row.source, row.caseId],
  );
}

/** Deletes the kinds for one address, under its keyed or its legacy hash; returns how many rows went. */
export async function deleteSuppressions(em: EntityManager, hashes: { keyed: string; legacy: string }, kinds: readonly string[]): Promise<number> {
  const rows = await sqlOf(em)(
    `delete from address_suppression where ((address_hash = ? and scheme = 'hmac-sha256') or (address_hash = ? and scheme = 'sha256-legacy')) and kind = any(?::text[]) returning id`,
    [hashes.keyed, hashes.legacy, pgArray([...kinds])],
  );
  return rows.length;
}

/** Every row with one of these hashes (either scheme), in one query. */
export async function suppressionRows<K extends string>(em: EntityManager, hashes: readonly string[]): Promise<{ address_hash: string; scheme: string; kind: K }[]> {
  return sqlOf(em)<{ address_hash: string; scheme: string; kind: K }>(`select address_hash, scheme, kind from address_suppression where address_hash = any(?::text[])`, [
    pgArray([...hashes]),
  ]);
}

/**
 * Replaces legacy rows by keyed ones (pairs `legacy[i]` → `keyed[i]`), merging with any keyed
 * row of the same kind, in one statement; returns how many legacy rows moved.
 */
export async function rekeyLegacyRows(em: EntityManager, legacy: readonly string[], keyed: readonly string[]): Promise<number> {
  const moved = await sqlOf(em)<{ n: string }>(
    `with m as (select unnest(?::text[]) as legacy, unnest(?::text[]) as keyed),
          gone as (delete from address_suppression s using m where s.scheme = 'sha256-legacy' and s.address_hash = m.legacy
                   returning m.keyed, s.kind, s.source, s.case_id, s.created_at),
          ins as (insert into address_suppression (address_hash, kind, scheme, source, case_id, created_at)
                  select keyed, kind, 'hmac-sha256', source, case_id, created_at from gone on conflict (address_hash, kind) do nothing)
     select count(*)::text as n from gone`,
    [pgArray([...legacy]), pgArray([...keyed])],
  );
  return Number(moved[0]?.n ?? 0);
}

/** How many legacy (unkeyed) rows are left. */
export async function legacyRowCount(em: EntityManager): Promise<number> {
  const [{ n }] = (await sqlOf(em)<{ n: string }>(`select count(*)::text as n from address_suppression where scheme = 'sha256-legacy'`)) as [{ n: string }];
  return Number(n);
}

/** The hashes of every legacy row. */
export async function legacyHashes(em: EntityManager): Promise<string[]> {
  return (await sqlOf(em)<{ address_hash: string }>(`select address_hash from address_suppression where scheme = 'sha256-legacy'`)).map((r) => r.address_hash);
}

/** Every address Mailroom has on file: subscribers, privacy cases' subjects, contacts. */
export async function addressesOnFile(em: EntityManager): Promise<string[]> {
  const rows = await sqlOf(em)<{ a: string }>(
    `select email as a from newsletter_subscriber union select subject_email from privacy_case union select email from contact where email is not null`,
  );
  return rows.map((r) => r.a);
}

/** The condition notSuppressedSql (suppression-list.ts) builds, for the kinds that stop its scope. */
export function notSuppressedCondition(kinds: readonly string[], keyed: string, legacy: string): string {
  const list = kinds.map((k) => `'${k}'`).join(', ');
  return `not exists (select 1 from address_suppression x
                 where x.address_hash in (${keyed}, ${legacy}) and x.kind in (${list})
                   and ((x.address_hash = ${keyed} and x.scheme = 'hmac-sha256') or (x.address_hash = ${legacy} and x.scheme = 'sha256-legacy')))`;
}
