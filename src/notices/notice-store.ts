/** Named queries the notices module needs beyond its services (organisations it notifies). */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

/**
 * An organisation by domain, exact name (case-insensitive) or id; when several match, the
 * lowest id.
 */
export async function organisationByKey(em: EntityManager, key: string): Promise<{ id: string; name: string } | undefined> {
  const [org] = await sqlOf(em)<{ id: string; name: string }>(
    `select id, name from organisation where domain = lower(?) or lower(name) = lower(?) or id::text = ? order by id limit 1`,
    [key, key, key],
  );
  return org;
}
