import type { ReplyFn, ReclassifyFn } from '../tasks/task-service.ts';
import type { FilingDeps } from '../handlers/filing-deps.ts';
import { replyToTicket } from '../records/staff-reply.ts';
import { resolveTriage, TRIAGE_ROUTES, type TriageRoute } from '../records/triage-actions.ts';
import { reclassifyRecord, ReclassifyError } from '../records/reclassify-record.ts';

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
      const triageId = /^TRIAGE-(\d+)$/.exec(task.recordRef ?? '')?.[1];
      if (!triageId && task.recordRef && (task.kind === 'new-ticket' || task.kind === 'new-lead')) {
        // A ticket or lead in the wrong queue: filed again where it belongs.
        await reclassifyRecord(em, { ref: task.recordRef, route, actor: actor.name ?? actor.id }, deps);
        return;
      }
      if (!triageId) throw new ReclassifyError(`task ${task.publicId} is not a triage item, ticket or lead`);
      if (!(TRIAGE_ROUTES as readonly string[]).includes(route)) {
        throw new ReclassifyError(`route ${route} is handled by staff until its handler exists; choose ${TRIAGE_ROUTES.join(', ')}`);
      }
      await resolveTriage(em, { triageId, route: route as TriageRoute, actor: actor.name ?? actor.id }, deps);
    },
  };
}
