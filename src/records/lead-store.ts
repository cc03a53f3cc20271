/** Named queries over leads: a new lead (its ID made in the insert), lookups, status, summary. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { nextRefSql } from './record-ids.ts';

export interface LeadRow {
  id: string;
  ref: string;
  source: 'email' | 'web-form' | 'dealer-page';
  status: string;
  subject: string;
  contact_id: string | null;
  organisation_id: string | null;
  dealer_id: string | null;
  language: string | null;
}

export async function createLead(
  em: EntityManager,
  l: { prefix: string; source: LeadRow['source']; subject: string; contactId: string; organisationId: string | null; dealerId: string | null; language: string; formData?: unknown; linkedRef?: string },
): Promise<LeadRow> {
  const [row] = await sqlOf(em)<LeadRow>(
    `insert into lead (ref, source, subject, contact_id, organisation_id, dealer_id, language, form_data, linked_ref) values (${nextRefSql('lead')}, ?, ?, ?, ?, ?, ?, ?, ?)
     returning id, ref, source, status, subject, contact_id, organisation_id, dealer_id, language`,
    [l.prefix, l.source, l.subject, l.contactId, l.organisationId, l.dealerId, l.language, l.formData ? JSON.stringify(l.formData) : null, l.linkedRef ?? null],
    { name: 'lead-create' },
  );
  return row!;
}

export async function findLead(em: EntityManager, ref: string): Promise<LeadRow | null> {
  const [row] = await sqlOf(em)<LeadRow>(
    'select id, ref, source, status, subject, contact_id, organisation_id, dealer_id, language from lead where ref = ?',
    [ref.toUpperCase()],
  );
  return row ?? null;
}

/** Marks a lead lost (moved to another queue by staff). */
export async function markLeadLost(em: EntityManager, leadId: string): Promise<void> {
  await sqlOf(em)(`update lead set status = 'lost', updated_at = now() where id = ?`, [leadId]);
}

/** What `/mailroom <ID>` says of a lead: status, source, subject, organisation, opened. */
export async function leadSummary(
  em: EntityManager,
  ref: string,
): Promise<{ ref: string; status: string; source: string; subject: string; org: string | null; created_at: Date } | undefined> {
  const [l] = await sqlOf(em)<{ ref: string; status: string; source: string; subject: string; org: string | null; created_at: Date }>(
    `select l.ref, l.status, l.source, l.subject, o.name as org, l.created_at from lead l left join organisation o on o.id = l.organisation_id where l.ref = ?`,
    [ref],
  );
  return l;
}
