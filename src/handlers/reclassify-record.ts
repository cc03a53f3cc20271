/**
 * Staff move a ticket or lead that classification put in the wrong queue (Slack's route
 * buttons on a new-ticket or new-lead task, CLI `tasks reclassify`): the message that opened
 * it is filed again as the other kind of record by the filer's own functions (records, contact,
 * acknowledgement with the new ID, staff task), linked to the first one, which is closed (a
 * ticket) or marked lost (a lead). Spam closes the record without a new one. Every move is a
 * routing correction (records/correction-store.ts).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { classify, openLead, openTicket } from './file-message.ts';
import { factsOf } from '../classify/message-facts.ts';
import type { FilingDeps } from './filing-deps.ts';
import type { InboundForFiling, StoredParse } from '../ingest/inbound-record.ts';
import { closeTicket, findTicket } from '../records/ticket-store.ts';
import { findLead, markLeadLost } from '../records/lead-store.ts';
import { lockFirstInboundMessageOf, setInboundOutcome } from '../records/filed-message-store.ts';
import { recordCorrection } from '../records/correction-store.ts';

import { RECORD_ROUTES, type RecordRoute } from '../tasks/triage-routes.ts';

export { RECORD_ROUTES, type RecordRoute };

export class ReclassifyError extends Error {
  override name = 'ReclassifyError';
}

export interface ReclassifyResult {
  ref: string;
  route: RecordRoute;
  /** The record the message became (null for spam). */
  newRef: string | null;
  acknowledged: boolean;
}

/** Runs in the caller's transaction (decideTask opens one). */
export async function reclassifyRecord(em: EntityManager, input: { ref: string; route: string; actor: string }, deps: FilingDeps): Promise<ReclassifyResult> {
  if (!(RECORD_ROUTES as readonly string[]).includes(input.route)) throw new ReclassifyError(`a ticket or lead can go to ${RECORD_ROUTES.join(', ')}`);
  const route = input.route as RecordRoute;
  const ticket = await findTicket(em, input.ref);
  const lead = ticket ? null : await findLead(em, input.ref);
  if (!ticket && !lead) throw new ReclassifyError(`no ticket or lead ${input.ref}`);
  const ref = (ticket ?? lead)!.ref;
  const current: RecordRoute = ticket ? 'support' : 'sales';
  if (route === current) throw new ReclassifyError(`${ref} is already a ${ticket ? 'ticket' : 'lead'}`);

  const msg = await lockFirstInboundMessageOf<StoredParse>(em, ref);
  if (!msg?.parsed) throw new ReclassifyError(`${ref} has no inbound message to file again`);

  let newRef: string | null = null;
  let acknowledged = false;
  if (route !== 'spam') {
    const message: InboundForFiling = { id: msg.id, archive: msg.archive, receivedAt: msg.received_at, parsed: msg.parsed };
    const facts = factsOf(msg.parsed);
    const c = await classify(em, facts, deps);
    const filed = route === 'support' ? await openTicket(em, message, facts, c, deps, ref) : await openLead(em, message, facts, c, deps, ref);
    newRef = filed.recordRef!;
    acknowledged = filed.acknowledged;
  }
  if (ticket) await closeTicket(em, ticket.id);
  else await markLeadLost(em, lead!.id);
  await setInboundOutcome(em, msg.id, { outcome: route === 'spam' ? 'spam' : route === 'support' ? 'ticket' : 'lead', recordRef: newRef ?? ref });
  await recordCorrection(em, { inboundMessageId: msg.id, originalRoute: current, correctedRoute: route, recordRef: newRef ?? ref, source: 'reclassify', by: input.actor });
  return { ref, route, newRef, acknowledged };
}
