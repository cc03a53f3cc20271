import { printRecord } from './output.ts';
import { formatProblem } from '../table-import/parse-table.ts';
import type { ImportSummary } from '../table-import/import-rows.ts';

/**
 * What a table import (`records import`, `subscribers import`) tells the person: warnings on
 * stderr; then either the summary as JSON (bad rows included), or every bad or skipped row with
 * its line on stderr and one summary line on stdout. Bad rows make the exit code 1 even when
 * the rest went in, so scripts notice.
 */
export function reportImport(s: ImportSummary, file: string, opts: { json?: boolean; words?: { created?: string; noUpdates?: boolean } } = {}): void {
  for (const w of s.warnings) process.stderr.write(`mailroom: warning: ${w}\n`);
  if (s.rejected > 0) process.exitCode = 1;
  if (opts.json) {
    printRecord({ ...s, file }, { json: true });
    return;
  }
  for (const p of s.problems) process.stderr.write(`mailroom: ${file}: ${formatProblem(p)}\n`);
  for (const n of s.notes) process.stderr.write(`mailroom: ${file}: line ${n.line}: skipped: ${n.message}\n`);
  if (!s.imported) {
    process.stdout.write(`${s.kind}: nothing imported (--all-or-nothing and ${s.rejected} bad row${s.rejected === 1 ? '' : 's'})\n`);
    return;
  }
  const parts = [`${s.created} ${opts.words?.created ?? 'created'}`, ...(opts.words?.noUpdates && !s.updated ? [] : [`${s.updated} updated`]), `${s.unchanged} unchanged`];
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  parts.push(`${s.rejected} rejected`);
  process.stdout.write(`${s.kind}: ${parts.join(', ')}\n`);
}
