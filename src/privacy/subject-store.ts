/**
 * Named queries over the person a privacy request is about, in the systems that hold people:
 * their keys (contacts, cases), whether the sender is on file, and rectification's updates.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';
import type { SubjectKeys } from './subject.ts';

/** Contacts with exactly this (normalised) address. */
export async function contactsWithEmail(em: EntityManager, email: string): Promise<{ id: string; name: string | null }[]> {
  return sqlOf(em)<{ id: string; name: string | null }>(`select id, name from contact where email = ?`, [email]);
}

/** Ids of the privacy cases about this (normalised) address. */
export async function caseIdsOfSubject(em: EntityManager, email: string): Promise<string[]> {
  return (await sqlOf(em)<{ id: string }>(`select id from privacy_case where subject_email = ?`, [email])).map((r) => String(r.id));
}

/** The name on the first portal user, project participant or order buyer with this address (no contact needed). */
export async function otherPersonWithEmail(em: EntityManager, email: string): Promise<{ name: string | null } | undefined> {
  const [row] = await sqlOf(em)<{ name: string | null }>(
    `select name from portal_user where lower(email) = ?
     union all select name from project_participant where lower(email) = ?
     union all select buyer_name as name from customer_order where lower(buyer_email) = ?
     limit 1`,
    [email, email, email],
  );
  return row;
}

export type RectifiableColumnField = 'phone' | 'name' | 'title';

/** Where each field lives: the tables (and column) a rectification updates, by the person's keys. */
const TARGETS: Record<RectifiableColumnField, { table: string; column: string; where: string }[]> = {
  phone: [
    { table: 'contact', column: 'phone', where: 'id = any(?::bigint[])' },
    { table: 'portal_user', column: 'mobile', where: 'contact_id = any(?::bigint[]) or lower(email) = any(?::text[])' },
    { table: 'project_participant', column: 'phone', where: 'contact_id = any(?::bigint[]) or lower(email) = any(?::text[])' },
  ],
  name: [
    { table: 'contact', column: 'name', where: 'id = any(?::bigint[])' },
    { table: 'portal_user', column: 'name', where: 'contact_id = any(?::bigint[]) or lower(email) = any(?::text[])' },
    { table: 'project_participant', column: 'name', where: 'contact_id = any(?::bigint[]) or lower(email) = any(?::text[])' },
  ],
  title: [{ table: 'contact', column: 'title', where: 'id = any(?::bigint[])' }],
};

/** Sets the field to `value` in every system holding it for the person; the tables that changed, with their row counts. */
export async function updatePersonField(em: EntityManager, keys: SubjectKeys, field: RectifiableColumnField, value: string): Promise<{ table: string; rows: number }[]> {
  const sql = sqlOf(em);
  const systems: { table: string; rows: number }[] = [];
  for (const t of TARGETS[field]) {
    const params = t.where.includes('text[]') ? [value, pgArray(keys.contacts), pgArray(keys.emails)] : [value, pgArray(keys.contacts)];
    const rows = await sql(`update ${t.table} set ${t.column} = ?, updated_at = now() where ${t.where} returning 1`, params);
    if (rows.length) systems.push({ table: t.table, rows: rows.length });
  }
  return systems;
}
