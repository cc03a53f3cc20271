import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

/**
 * A one-line status of a ticket or lead for staff (`/mailroom <ID>`): state and dates, no
 * message content or personal data beyond the organisation.
 */
export async function describeRecord(em: EntityManager, id: string): Promise<string | null> {
  const ref = id.trim().toUpperCase();
  const sql = sqlOf(em);
  const [t] = await sql<{ ref: string; status: string; subject: string; org: string | null; created_at: Date; updated_at: Date; messages: string }>(
    `select t.ref, t.status, t.subject, o.name as org, t.created_at, t.updated_at,
            (select count(*) from record_message m where m.record_ref = t.ref) as messages
       from ticket t left join organisation o on o.id = t.organisation_id where t.ref = ?`,
    [ref],
  );
  if (t) {
    return `*${t.ref}* (${t.status}) ${t.subject}\n${t.org ?? 'no organisation'} · ${t.messages} messages · opened ${t.created_at.toISOString().slice(0, 16).replace('T', ' ')} · last activity ${t.updated_at.toISOString().slice(0, 16).replace('T', ' ')}`;
  }
  const [l] = await sql<{ ref: string; status: string; source: string; subject: string; org: string | null; created_at: Date }>(
    `select l.ref, l.status, l.source, l.subject, o.name as org, l.created_at from lead l left join organisation o on o.id = l.organisation_id where l.ref = ?`,
    [ref],
  );
  if (l) return `*${l.ref}* (${l.status}, from ${l.source}) ${l.subject}\n${l.org ?? 'no organisation'} · opened ${l.created_at.toISOString().slice(0, 16).replace('T', ' ')}`;
  return null;
}
