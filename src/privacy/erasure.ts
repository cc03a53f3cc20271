/**
 * Erasure (GDPR art. 17): a plan per system with its legal ground, shown to staff for approval
 * (pure: `planErasure`), then executed in the approval's transaction (`executeErasure`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CoverageEntry, EraseAction } from './coverage.ts';
import { entryRowCount, orderRetentionCounts, runEraseStatement, type BindValues } from './coverage-store.ts';
import type { SubjectKeys } from './subject.ts';

export interface PlanLine {
  entity: string;
  table: string;
  system: string;
  action: EraseAction | 'delete-or-anonymise';
  /** Rows found for the person. */
  found: number;
  /** Rows that will stay (kept on `ground`). */
  kept: number;
  ground?: string;
  keptUntil?: string;
}

export interface ErasurePlan {
  policy: 'delete' | 'anonymise';
  lines: PlanLine[];
}

export interface EntryCounts {
  found: number;
  /** Orders: how many are past retention (deleted now); the rest are kept. */
  expired?: number;
  keptUntil?: string | null;
  /** Rows kept for other reasons (mixed entries), when known. */
  kept?: number;
}

/** Pure: what an erasure will do per system, from the row counts found for the person. */
export function planErasure(entries: CoverageEntry[], counts: Record<string, EntryCounts>, policy: 'delete' | 'anonymise'): ErasurePlan {
  const lines: PlanLine[] = [];
  for (const e of entries) {
    const c = counts[e.entity];
    if (!c || c.found === 0 || !e.personal) continue;
    const base = { entity: e.entity, table: e.table, system: e.system, found: c.found };
    switch (e.erase.action) {
      case 'delete':
        lines.push({ ...base, action: 'delete', kept: 0 });
        break;
      case 'anonymise':
        lines.push({ ...base, action: 'anonymise', kept: 0 });
        break;
      case 'crm-policy':
        lines.push({ ...base, action: policy === 'delete' ? 'delete-or-anonymise' : 'anonymise', kept: 0, ground: e.erase.ground });
        break;
      case 'keep':
        lines.push({ ...base, action: 'keep', kept: c.found, ground: e.erase.ground });
        break;
      case 'retention': {
        const expired = c.expired ?? 0;
        lines.push({ ...base, action: 'retention', kept: c.found - expired, ground: e.erase.ground, ...(c.keptUntil && c.found - expired > 0 ? { keptUntil: c.keptUntil } : {}) });
        break;
      }
      case 'mixed':
        lines.push({ ...base, action: 'mixed', kept: c.kept ?? 0, ground: e.erase.ground });
        break;
      case 'none':
        break;
    }
  }
  return { policy, lines };
}

/** Counts rows per entry for the plan (orders: how many are past retention, and until when the rest stay). */
export async function countForPlan(
  em: EntityManager,
  keys: SubjectKeys,
  opts: { now: Date; orderYears: number; fyEndMonth: number },
  entries: CoverageEntry[],
): Promise<Record<string, EntryCounts>> {
  const values: BindValues = { ...keys, now: opts.now, orderYears: opts.orderYears, fyEndMonth: opts.fyEndMonth };
  const out: Record<string, EntryCounts> = {};
  for (const e of entries) {
    if (!e.match || !e.personal) continue;
    const matched = { ...e, match: e.match };
    if (e.erase.action === 'retention' && e.table === 'customer_order') {
      const r = await orderRetentionCounts(em, matched, values);
      out[e.entity] = { found: r.found, expired: r.expired, keptUntil: r.kept_until };
      continue;
    }
    out[e.entity] = { found: await entryRowCount(em, matched, values) };
  }
  return out;
}

/** A Slack-safe summary of a plan: systems, actions and counts; no names, no addresses. */
export function planSummary(plan: ErasurePlan): string {
  return plan.lines
    .map((l) => {
      const what =
        l.action === 'keep'
          ? `keep ${l.kept} (stated ground)`
          : l.action === 'retention'
            ? `delete ${l.found - l.kept}, keep ${l.kept}${l.keptUntil ? ` until ${l.keptUntil}` : ''} (bookkeeping)`
            : l.action === 'mixed'
              ? `delete what is not kept on a stated ground (${l.found} found)`
              : l.action === 'delete-or-anonymise'
                ? `delete ${l.found} (anonymise if a kept record refers to it)`
                : `${l.action} ${l.found}`;
      return `• ${l.system} / ${l.table}: ${what}`;
    })
    .join('\n');
}

export interface ExecutionReport {
  statements: { entity: string; rows: number }[];
}

/** Runs every entry's erase statements in order, inside `em`'s transaction. */
export async function executeErasure(
  em: EntityManager,
  keys: SubjectKeys,
  opts: { now: Date; policy: 'delete' | 'anonymise'; orderYears: number; fyEndMonth: number },
  entries: CoverageEntry[],
): Promise<ExecutionReport> {
  const report: ExecutionReport = { statements: [] };
  const ordered = entries.filter((e) => e.erase.sql?.length).sort((a, b) => (a.erase.order ?? 50) - (b.erase.order ?? 50));
  for (const e of ordered) {
    for (const statement of e.erase.sql!) {
      report.statements.push({ entity: e.entity, rows: await runEraseStatement(em, statement, { ...keys, ...opts }) });
    }
  }
  return report;
}
