import type { ReplyFn, ReclassifyFn } from '../tasks/task-service.ts';
import type { FilingDeps } from '../handlers/filing-deps.ts';
import { replyToTicket } from '../records/staff-reply.ts';
import { resolveTriage } from '../handlers/triage-actions.ts';
import { TRIAGE_ROUTES, isTriageRoute, parseTriageRef } from '../tasks/triage-routes.ts';
import { reclassifyRecord, ReclassifyError } from '../handlers/reclassify-record.ts';

/**
 * What a staff task's Reply and Reclassify buttons do, shared by Slack and the CLI so both
 * take exactly the same path into the records.
 */
export function staffActions(deps: FilingDeps): { onReply: ReplyFn; onReclassify: ReclassifyFn } {
  return {
    onReply: async (em, task, actor, text) => {
      if (!task.recordRef) throw new Error(`task ${task.publicId} is not about a ticket`);
      await replyToTicket(em, { ref: task.recordRef, text, author: actor.name ?? actor.id }, deps);
    },
    onReclassify: async (em, task, actor, route) => {
      const triageId = /^TRIAGE-/i.test(task.recordRef ?? '') ? parseTriageRef(task.recordRef!) : null;
      if (!triageId && task.recordRef && (task.kind === 'new-ticket' || task.kind === 'new-lead')) {
        // A ticket or lead in the wrong queue: filed again where it belongs.
        await reclassifyRecord(em, { ref: task.recordRef, route, actor: actor.name ?? actor.id }, deps);
        return;
      }
      if (!triageId) throw new ReclassifyError(`task ${task.publicId} is not a triage item, ticket or lead`);
      if (!isTriageRoute(route)) throw new ReclassifyError(`route must be one of ${TRIAGE_ROUTES.join(', ')}`);
      await resolveTriage(em, { triageId, route, actor: actor.name ?? actor.id }, deps);
    },
  };
}
