/**
 * Staff decide a triage item (CLI `triage resolve`, Slack's triage buttons, `tasks
 * reclassify`): the inbound message is filed as a ticket, a lead or a privacy case by the same
 * handler functions the filer uses (same records, timeline, threading memory, acknowledgement
 * and staff notice), or dismissed as spam. resolveTriage is the one place where staff decide a
 * triage route.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { classify, openTicket, openLead } from './file-message.ts';
import { factsOf } from '../classify/message-facts.ts';
import type { FilingDeps } from './filing-deps.ts';
import type { InboundForFiling, StoredParse } from '../ingest/inbound-record.ts';
import { handlePrivacyRequest } from '../privacy/case-service.ts';
import { closeTasksOfRecord } from '../tasks/task-endings.ts';
import { TRIAGE_ROUTES, isTriageRoute, parseTriageRef, triageRef, type TriageRoute } from '../tasks/triage-routes.ts';
import { recordCorrection } from '../records/correction-store.ts';
import { lockTriageItem, markTriageResolved } from '../records/triage-store.ts';
import { lockInboundMessage, setInboundOutcome } from '../records/filed-message-store.ts';

export { TRIAGE_ROUTES, type TriageRoute };

export interface ResolveTriageInput {
  /** The item's id or its ref ("7", "TRIAGE-7"). */
  triageId: string;
  route: TriageRoute;
  /** Who decided (a staff name, a Slack user); audited on the item. */
  actor: string;
}

export interface ResolveTriageResult {
  triageId: string;
  route: TriageRoute;
  outcome: 'ticket' | 'lead' | 'privacy' | 'spam';
  recordRef: string | null;
  inboundMessageId: string;
  acknowledged: boolean;
}

export class TriageError extends Error {
  override name = 'TriageError';
}

/**
 * Resolves an open triage item in one transaction (the caller's, or a new one). A second
 * resolve of the same item is refused with the first decision in the message, so a double
 * click never files a message twice.
 */
export async function resolveTriage(em: EntityManager, input: ResolveTriageInput, deps: FilingDeps): Promise<ResolveTriageResult> {
  if (!isTriageRoute(input.route)) throw new TriageError(`route must be one of ${TRIAGE_ROUTES.join(', ')}`);
  const triageId = parseTriageRef(input.triageId);
  if (!triageId) throw new TriageError(`no triage item ${input.triageId} (give the id that \`triage list\` prints, or its ref TRIAGE-n)`);
  if (input.route === 'privacy' && !deps.privacy) throw new TriageError('privacy requests are not set up here; nothing was changed');
  const work = async (tx: EntityManager): Promise<ResolveTriageResult> => {
    const item = await lockTriageItem(tx, triageId);
    if (!item) throw new TriageError(`no triage item ${input.triageId}`);
    if (item.state !== 'open') {
      throw new TriageError(`triage item ${item.id} is already resolved as ${item.resolution ?? '?'}${item.record_ref ? ` (${item.record_ref})` : ''}${item.resolved_by ? ` by ${item.resolved_by}` : ''}`);
    }
    const msg = await lockInboundMessage<StoredParse>(tx, item.inbound_message_id);
    if (!msg?.parsed) throw new TriageError(`the message of triage item ${item.id} has not been parsed`);

    let outcome: ResolveTriageResult['outcome'] = 'spam';
    let recordRef: string | null = null;
    let acknowledged = false;
    let language: string | null = null;
    if (input.route !== 'spam') {
      const message: InboundForFiling = { id: msg.id, archive: msg.archive, receivedAt: msg.received_at, parsed: msg.parsed };
      const facts = factsOf(msg.parsed);
      const c = await classify(tx, facts, deps);
      language = c.language;
      if (input.route === 'privacy') {
        // Staff say it is a privacy request: the privacy handler opens the case (receipt,
        // verification, approvals) as if the classifier had said so.
        const filed = await handlePrivacyRequest(tx, message, facts, { ...c, route: 'privacy' }, deps.privacy!);
        outcome = 'privacy';
        recordRef = filed.recordRef ?? null;
      } else {
        const filed = input.route === 'support' ? await openTicket(tx, message, facts, c, deps) : await openLead(tx, message, facts, c, deps);
        outcome = input.route === 'support' ? 'ticket' : 'lead';
        recordRef = filed.recordRef!;
        acknowledged = filed.acknowledged;
      }
    }
    await markTriageResolved(tx, item.id, { route: input.route, by: input.actor, recordRef });
    await setInboundOutcome(tx, msg.id, { outcome, recordRef, language });
    // The item is decided: its task closes with it (a Slack button already closed it; the CLI did not).
    await closeTasksOfRecord(tx, triageRef(item.id), { reason: `resolved as ${input.route}${recordRef ? ` (${recordRef})` : ''} by ${input.actor}` });
    await recordCorrection(tx, { inboundMessageId: msg.id, originalRoute: item.suggested_route, correctedRoute: input.route, recordRef, source: 'triage', by: input.actor });
    return { triageId: item.id, route: input.route, outcome, recordRef, inboundMessageId: msg.id, acknowledged };
  };
  return em.isInTransaction() ? work(em) : em.transactional(work);
}
