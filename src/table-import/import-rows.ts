/**
 * Writes validated rows, for any kind of table. Each row commits on its own, so one the
 * database refuses is reported with its line and the rest go in; with `allOrNothing`, any bad
 * row (in the file or refused by the database) means nothing is written.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import type { ParsedTable } from './parse-table.ts';
import type { RowProblem } from './read-table.ts';

/** What writing one row did; `skipped` rows are fine but were not written (the reason is reported). */
export type RowOutcome = 'created' | 'updated' | 'unchanged' | { skipped: string };

export interface ImportSummary {
  kind: string;
  /** Rows in the file that passed validation. */
  valid: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Valid rows deliberately not written (e.g. a suppressed address); listed in `notes`. */
  skipped: number;
  rejected: number;
  /** False when --all-or-nothing stopped the import (nothing was written). */
  imported: boolean;
  problems: RowProblem[];
  /** Skipped rows and why, by line. */
  notes: RowProblem[];
  warnings: string[];
}

/** A row that is valid on its own but does not fit the database (unknown organisation, taken key). */
export class RowError extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A database refusal of one row, in words (which key is taken). */
function rowProblemOf(line: number, e: unknown): RowProblem {
  if (e instanceof RowError) return { line, field: e.field, message: e.message };
  const err = e as { code?: string; constraint?: string; detail?: string; message?: string };
  if (err?.code === '23505') {
    const m = /Key \(([^)]+)\)=\(([^)]*)\)/.exec(err.detail ?? '');
    const field = m?.[1]?.replace(/_([a-z])/g, (_x, c: string) => c.toUpperCase());
    return { line, field, message: m ? `${JSON.stringify(m[2])} is already used by another record` : 'duplicates another record' };
  }
  if (err?.code === '42P01') throw e; // missing table: a setup problem, not a row problem
  return { line, message: String(err?.message ?? e).split('\n')[0]!.replace(/^.* - /, '') };
}

class RollbackAll extends Error {}

export async function importRows<T>(
  orm: Orm,
  parsed: ParsedTable<T>,
  write: (em: EntityManager, value: T) => Promise<RowOutcome>,
  opts: { allOrNothing?: boolean } = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = {
    kind: parsed.kind,
    valid: parsed.rows.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    rejected: 0,
    imported: true,
    problems: [...parsed.problems],
    notes: [],
    warnings: parsed.warnings,
  };
  const finish = () => {
    summary.rejected = new Set(summary.problems.map((p) => p.line)).size;
    summary.problems.sort((a, b) => a.line - b.line);
    return summary;
  };
  const count = (into: Pick<ImportSummary, 'created' | 'updated' | 'unchanged' | 'skipped' | 'notes'>, line: number, outcome: RowOutcome) => {
    if (typeof outcome === 'string') into[outcome]++;
    else {
      into.skipped++;
      into.notes.push({ line, message: outcome.skipped });
    }
  };
  if (opts.allOrNothing && summary.problems.length > 0) {
    summary.imported = false;
    return finish();
  }
  if (opts.allOrNothing) {
    const counts = { created: 0, updated: 0, unchanged: 0, skipped: 0, notes: [] as RowProblem[] };
    const problems: RowProblem[] = [];
    try {
      await orm.em.fork().transactional(async (em) => {
        for (const row of parsed.rows) {
          try {
            // A savepoint per row, so a refused row does not abort the checks of the others.
            count(counts, row.line, await em.transactional((inner) => write(inner, row.value)));
          } catch (e) {
            problems.push(rowProblemOf(row.line, e));
          }
        }
        if (problems.length) throw new RollbackAll();
      });
      Object.assign(summary, counts);
    } catch (e) {
      if (!(e instanceof RollbackAll)) throw e;
      summary.problems.push(...problems);
      summary.imported = false;
    }
    return finish();
  }
  for (const row of parsed.rows) {
    try {
      count(summary, row.line, await orm.em.fork().transactional((em) => write(em, row.value)));
    } catch (e) {
      summary.problems.push(rowProblemOf(row.line, e));
    }
  }
  return finish();
}
