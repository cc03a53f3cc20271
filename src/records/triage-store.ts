/** Named queries over triage items: the messages staff decide (opened by filing, resolved by resolveTriage). */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export interface TriageItemRow {
  id: string;
  state: string;
  resolution: string | null;
  record_ref: string | null;
  resolved_by: string | null;
  inbound_message_id: string;
  suggested_route: string;
}

/** Opens the triage item of a message (filing it again only updates the reason); returns its id. */
export async function upsertTriageItem(
  em: EntityManager,
  item: { inboundMessageId: string; suggestedRoute: string; reason: string; scores: Record<string, unknown> },
): Promise<string> {
  const [row] = await sqlOf(em)<{ id: string }>(
    `insert into triage_item (inbound_message_id, suggested_route, reason, scores) values (?, ?, ?, ?)
     on conflict (inbound_message_id) do update set reason = excluded.reason returning id`,
    [item.inboundMessageId, item.suggestedRoute, item.reason, JSON.stringify(item.scores)],
  );
  return row!.id;
}

/** A triage item, locked for the rest of the transaction (two staff deciding at once wait for each other). */
export async function lockTriageItem(em: EntityManager, id: string): Promise<TriageItemRow | undefined> {
  const [item] = await sqlOf(em)<TriageItemRow>(
    'select id, state, resolution, record_ref, resolved_by, inbound_message_id, suggested_route from triage_item where id = ? for update',
    [id],
  );
  return item;
}

/** Records staff's decision on a triage item. */
export async function markTriageResolved(em: EntityManager, id: string, d: { route: string; by: string; recordRef: string | null }): Promise<void> {
  await sqlOf(em)(`update triage_item set state = 'resolved', resolution = ?, resolved_by = ?, record_ref = ?, resolved_at = now() where id = ?`, [
    d.route,
    d.by,
    d.recordRef,
    id,
  ]);
}
