/**
 * The queries behind the triage, message and quarantine views (message-views.ts).
 * Raw SQL: joins, counts and JSON reads shaped for the view, each one statement.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export interface TriageListRow {
  id: string;
  state: string;
  suggested_route: string;
  reason: string;
  scores: Record<string, unknown> | null;
  resolution: string | null;
  resolved_by: string | null;
  record_ref: string | null;
  created_at: Date;
  resolved_at: Date | null;
  inbound_message_id: string;
  subject: string | null;
  from_address: string | null;
  language: string | null;
}

/** Triage items, oldest first, in one state when given, with their message's subject, sender and language. */
export async function triageListRows(em: EntityManager, f: { state: string | null; limit: number }): Promise<TriageListRow[]> {
  return sqlOf(em)<TriageListRow>(
    `select ti.*, im.subject, im.from_address, im.language
       from triage_item ti join inbound_message im on im.id = ti.inbound_message_id
      where (?::text is null or ti.state = ?) order by ti.id limit ?`,
    [f.state, f.state, f.limit],
  );
}

export interface InboundRow {
  id: string;
  source: string;
  mailbox: string | null;
  uid: string | null;
  message_id: string | null;
  state: string;
  outcome: string | null;
  record_ref: string | null;
  subject: string | null;
  from_address: string | null;
  automated_kind: string | null;
  automated_reason: string | null;
  language: string | null;
  problems: string[] | null;
  attachments: string;
  attempts: number;
  last_error: string | null;
  archive: boolean;
  duplicate_of: string | null;
  size: string;
  received_at: Date;
  filed_at: Date | null;
  next_attempt_at: Date;
  has_parsed: boolean;
}

const inboundSelect = `
  select im.id, im.source, im.mailbox, im.uid, im.message_id, im.state, im.outcome, im.record_ref, im.subject, im.from_address,
         im.automated_kind, im.automated_reason, im.language, im.attempts, im.last_error, im.archive, im.duplicate_of, im.size,
         im.received_at, im.filed_at, im.next_attempt_at, (im.parsed is not null) as has_parsed,
         (select array_agg(p) from jsonb_array_elements_text(case when jsonb_typeof(im.parsed -> 'problems') = 'array' then im.parsed -> 'problems' else '[]'::jsonb end) p) as problems,
         (select count(*) from attachment a where a.inbound_message_id = im.id) as attachments
    from inbound_message im`;

/** Inbound messages, newest first, in one state and with one outcome when given. */
export async function inboundListRows(em: EntityManager, f: { state: string | null; outcome: string | null; limit: number }): Promise<InboundRow[]> {
  return sqlOf(em)<InboundRow>(
    `${inboundSelect} where (?::text is null or im.state = ?) and (?::text is null or im.outcome = ?) order by im.id desc limit ?`,
    [f.state, f.state, f.outcome, f.outcome, f.limit],
  );
}

export type InboundDetailRow = InboundRow & { parsed: Record<string, any> | null; uid_validity: string | null; internal_date: Date | null };

/** One inbound message with its stored parse and IMAP position. */
export async function inboundDetailRow(em: EntityManager, id: string): Promise<InboundDetailRow | undefined> {
  const [row] = await sqlOf(em)<InboundDetailRow>(`${inboundSelect.replace('select im.id,', 'select im.id, im.parsed, im.uid_validity, im.internal_date,')} where im.id = ?`, [id]);
  return row;
}

/** A message's attachments in position order (whether each one's content is stored, not the content). */
export async function messageAttachmentRows(
  em: EntityManager,
  id: string,
): Promise<{ position: number; filename: string | null; content_type: string; size: string; sha256: string; inline: boolean; from_tnef: boolean; stored: boolean }[]> {
  return sqlOf(em)<{ position: number; filename: string | null; content_type: string; size: string; sha256: string; inline: boolean; from_tnef: boolean; stored: boolean }>(
    'select position, filename, content_type, size, sha256, inline, from_tnef, content is not null as stored from attachment where inbound_message_id = ? order by position',
    [id],
  );
}

/** The triage item of a message, if it has one. */
export async function messageTriageRow(em: EntityManager, id: string): Promise<{ id: string; state: string; suggested_route: string; reason: string } | undefined> {
  const [triage] = await sqlOf(em)<{ id: string; state: string; suggested_route: string; reason: string }>('select id, state, suggested_route, reason from triage_item where inbound_message_id = ?', [id]);
  return triage;
}

/** Quarantined messages, newest first; `mailbox` null: imported mail (no mailbox); undefined: all. */
export async function quarantineListRows(em: EntityManager, f: { mailbox?: string | null; limit: number }): Promise<InboundRow[]> {
  const byMailbox = f.mailbox === undefined ? '' : f.mailbox === null ? ` and im.mailbox is null` : ` and im.mailbox = ?`;
  const params = f.mailbox === undefined || f.mailbox === null ? [f.limit] : [f.mailbox, f.limit];
  return sqlOf(em)<InboundRow>(`${inboundSelect} where im.state = 'quarantined'${byMailbox} order by im.id desc limit ?`, params);
}

/** One quarantined message. */
export async function quarantinedRow(em: EntityManager, id: string): Promise<InboundRow | undefined> {
  const [row] = await sqlOf(em)<InboundRow>(`${inboundSelect} where im.id = ? and im.state = 'quarantined'`, [id]);
  return row;
}

/** How much of a message's raw source is stored: chunks and bytes. */
export async function rawChunkTotals(em: EntityManager, id: string): Promise<{ n: string; bytes: string | null } | undefined> {
  const [chunks] = await sqlOf(em)<{ n: string; bytes: string | null }>('select count(*) as n, sum(length(bytes)) as bytes from inbound_raw_chunk where inbound_message_id = ?', [id]);
  return chunks;
}
