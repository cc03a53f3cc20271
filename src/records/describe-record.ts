import type { EntityManager } from '@mikro-orm/postgresql';
import { ticketSummary } from './ticket-store.ts';
import { leadSummary } from './lead-store.ts';

const minute = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

/**
 * A one-line status of a ticket or lead for staff (`/mailroom <ID>`): state and dates, no
 * message content or personal data beyond the organisation.
 */
export async function describeRecord(em: EntityManager, id: string): Promise<string | null> {
  const ref = id.trim().toUpperCase();
  const t = await ticketSummary(em, ref);
  if (t) {
    return `*${t.ref}* (${t.status}) ${t.subject}\n${t.org ?? 'no organisation'} · ${t.messages} messages · opened ${minute(t.created_at)} · last activity ${minute(t.updated_at)}`;
  }
  const l = await leadSummary(em, ref);
  if (l) return `*${l.ref}* (${l.status}, from ${l.source}) ${l.subject}\n${l.org ?? 'no organisation'} · opened ${minute(l.created_at)}`;
  return null;
}
