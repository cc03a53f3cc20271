/**
 * What staff decisions read and write of an inbound message that is filed again (a triage item
 * resolved, a record moved to the other queue): the message, locked, and its new outcome.
 * `Parsed` is the stored parse's type (ingest's StoredParse), left to the caller so records
 * need not import ingest.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export interface FiledMessageRow<Parsed> {
  id: string;
  parsed: Parsed | null;
  archive: boolean;
  received_at: Date;
}

/** An inbound message with its stored parse, locked for the rest of the transaction. */
export async function lockInboundMessage<Parsed>(em: EntityManager, id: string): Promise<(FiledMessageRow<Parsed> & { state: string }) | undefined> {
  const [msg] = await sqlOf(em)<FiledMessageRow<Parsed> & { state: string }>('select id, parsed, archive, received_at, state from inbound_message where id = ? for update', [id]);
  return msg;
}

/** The inbound message that opened a record (its first on the timeline), locked. */
export async function lockFirstInboundMessageOf<Parsed>(em: EntityManager, recordRef: string): Promise<FiledMessageRow<Parsed> | undefined> {
  const [msg] = await sqlOf(em)<FiledMessageRow<Parsed>>(
    `select m.id, m.parsed, m.archive, m.received_at from record_message r join inbound_message m on m.id = r.inbound_message_id
      where r.record_ref = ? and r.direction = 'in' order by r.id limit 1 for update of m`,
    [recordRef],
  );
  return msg;
}

/** What a message became when staff filed it again; `language` (when given) replaces the stored one. */
export async function setInboundOutcome(em: EntityManager, id: string, o: { outcome: string; recordRef: string | null; language?: string | null }): Promise<void> {
  await sqlOf(em)(`update inbound_message set outcome = ?, record_ref = ?, language = coalesce(?, language) where id = ?`, [o.outcome, o.recordRef, o.language ?? null, id]);
}
