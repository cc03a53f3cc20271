import type { EntityManager } from '@mikro-orm/postgresql';
import { createTask, type SlackChannels } from '../tasks/task-service.ts';
import type { StaffEvent } from '../handlers/filing-deps.ts';
import { triageRef } from '../tasks/triage-routes.ts';

/**
 * Turns what filing found into staff tasks (Slack messages when Slack is on; the CLI lists
 * them either way). Keyed by record, so filing the same message twice makes one task.
 */
export function createStaffNotifier(deps: { channels: SlackChannels; postToSlack: boolean }) {
  return async (em: EntityManager, event: StaffEvent): Promise<void> => {
    switch (event.kind) {
      case 'new-ticket':
        await createTask(
          em,
          {
            kind: 'new-ticket',
            recordRef: event.ref,
            title: `${event.ref}: ${event.subject}`,
            channelKey: 'support',
            details: { subject: event.subject, requesterOrg: event.organisation },
            dedupeKey: `new-ticket:${event.ref}`,
          },
          deps,
        );
        return;
      case 'new-lead':
        await createTask(
          em,
          {
            kind: 'new-lead',
            recordRef: event.ref,
            title: `${event.ref}: ${event.subject}`,
            channelKey: 'sales',
            details: { company: event.organisation, interest: event.subject, dealer: event.dealer },
            dedupeKey: `new-lead:${event.ref}`,
          },
          deps,
        );
        return;
      case 'triage':
        await createTask(
          em,
          {
            kind: 'triage',
            recordRef: triageRef(event.triageId),
            // The title reaches notifications too: a privacy request's subject stays out of it.
            title: event.suggestedRoute === 'privacy' ? '(privacy request)' : event.subject,
            summary: event.reason,
            // Privacy requests are triaged where privacy staff look, with no more detail than needed.
            channelKey: event.suggestedRoute === 'privacy' ? 'privacy' : 'triage',
            details: { subject: event.suggestedRoute === 'privacy' ? '(privacy request)' : event.subject, suggestedRoute: event.suggestedRoute },
            dedupeKey: `triage:${event.triageId}`,
          },
          deps,
        );
        return;
    }
  };
}
