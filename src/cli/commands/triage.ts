import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { limitOption } from '../options.ts';
import { withDatabase } from '../context.ts';
import { printRecords, printRecord } from '../output.ts';
import { listTriage } from '../../records/record-views.ts';
import { resolveTriage, TriageError } from '../../handlers/triage-actions.ts';
import { TRIAGE_ROUTES, TRIAGE_ROUTE_MEANING, triageRef, type TriageRoute } from '../../tasks/triage-routes.ts';
import { filingDepsFromConfig } from '../../app/filing-setup.ts';
import { expectErrors } from './records.ts';
import { describe } from '../command-index.ts';

function defaultActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** `triage list|resolve`: messages whose route staff decide. */
export function registerTriageCommands(program: Command): void {
  const triage = program.command('triage').description(describe('triage'));
  triage
    .command('list')
    .description('list triage items (open ones unless --state says otherwise)')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--state <state>', 'which items').choices(['open', 'resolved', 'all']).default('open'))
    .addOption(limitOption(500))
    .action(async (opts: { json?: boolean; state: string; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listTriage(db.orm.em.fork(), { state: opts.state, limit: opts.limit });
        // `ref` is how tasks name the item (TRIAGE-n); resolve takes either.
        printRecords(rows.map((r) => ({ ...r, ref: triageRef(String(r.id)) })), { json: opts.json, columns: ['id', 'ref', 'state', 'suggestedRoute', 'from', 'subject', 'reason', 'recordRef'] });
      });
    });
  triage
    .command('resolve <id>')
    .description(`decide where the message belongs: ${TRIAGE_ROUTES.map((r) => `${r} (${TRIAGE_ROUTE_MEANING[r]})`).join(', ')}; <id> as \`triage list\` prints it, or TRIAGE-n`)
    .addOption(new Option('--route <route>', 'where it belongs').choices([...TRIAGE_ROUTES]).makeOptionMandatory())
    .option('--as <name>', 'who decided (recorded on the item)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: { route: TriageRoute; as?: string; json?: boolean }) => {
      await expectErrors([TriageError], async () => {
        await withDatabase(async ({ db, config }) => {
          const result = await resolveTriage(db.orm.em.fork(), { triageId: id, route: opts.route, actor: opts.as?.trim() || defaultActor() }, filingDepsFromConfig(config));
          if (opts.json) printRecord({ ...result }, { json: true });
          else if (result.recordRef) process.stdout.write(`triage item ${result.triageId} filed as ${result.outcome === 'privacy' ? 'privacy case' : result.outcome} ${result.recordRef}${result.acknowledged ? ' (acknowledgement queued)' : ''}\n`);
          else process.stdout.write(`triage item ${result.triageId} dismissed as spam\n`);
        });
      });
    });
}
