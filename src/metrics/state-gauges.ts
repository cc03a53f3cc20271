import type { EntityManager } from '@mikro-orm/postgresql';
import { readStateCounts } from './state-gauge-store.ts';
import type { Metrics } from './metrics.ts';

/** The due-date buckets of `mailroom_privacy_cases_open`; each open case is in exactly one. */
export const PRIVACY_DUE_BUCKETS = ['overdue', '3d', '7d', 'later'] as const;

/**
 * Reads the gauges that describe the shared database (outbox by status, inbound backlog,
 * quarantine, open privacy cases by due date) at scrape time, so an alert sees the state of the
 * whole installation whichever instance Prometheus asks. One round trip; the quarantine and
 * backlog counts use partial indexes, the outbox count scans its table as it did before.
 */
export async function refreshStateGauges(em: EntityManager, metrics: Metrics): Promise<void> {
  const rows = await readStateCounts(em);
  metrics.outboxPending.reset();
  for (const b of PRIVACY_DUE_BUCKETS) metrics.privacyCasesOpen.set({ due: b }, 0);
  metrics.inboundBacklog.set(0);
  metrics.quarantined.set(0);
  for (const r of rows) {
    const n = Number(r.n);
    if (r.kind === 'outbox') metrics.outboxPending.set({ status: r.label! }, n);
    else if (r.kind === 'backlog') metrics.inboundBacklog.set(n);
    else if (r.kind === 'quarantine') metrics.quarantined.set(n);
    else if (r.kind === 'privacy') metrics.privacyCasesOpen.set({ due: r.label! }, n);
  }
}
