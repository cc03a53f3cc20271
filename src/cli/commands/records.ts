import { Option, type Command } from 'commander';
import { limitOption } from '../options.ts';
import { withDatabase } from '../context.ts';
import { printRecords, printRecord } from '../output.ts';
import { listLeads, showLead, listContacts, showContact, listOrganisations, showOrganisation, type View } from '../../records/record-views.ts';
import { ORGANISATION_KINDS } from '../../classify/routing-rules.ts';
import { describe } from '../command-index.ts';

/**
 * An expected failure (no such record, bad input): one line on stderr and exit code 1, never a
 * stack trace. Commands return after calling it.
 */
export function cliError(message: string, exitCode = 1): void {
  process.stderr.write(`mailroom: ${message}\n`);
  process.exitCode = exitCode;
}

/** Runs `fn`; errors of the given classes become one line and a non-zero exit, others propagate. */
export async function expectErrors(classes: (new (...args: any[]) => Error)[], fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (classes.some((c) => e instanceof c)) {
      cliError((e as Error).message);
      return;
    }
    throw e;
  }
}

/**
 * One record for people: its own fields as "key  value" lines, then each list that belongs to
 * it (timeline, participants, …) as a titled section. `--json` prints the object as is.
 */
export function printDetail(view: View, opts: { json?: boolean; sections?: Record<string, string[]> }): void {
  if (opts.json) {
    printRecord(view, { json: true });
    return;
  }
  const scalars: Record<string, unknown> = {};
  const lists: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(view)) {
    if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'object')) lists.push([k, v]);
    else if (k === 'body' || k === 'text') continue;
    else scalars[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  printRecord(scalars, {});
  for (const [name, rows] of lists) {
    process.stdout.write(`\n${name} (${rows.length})\n`);
    if (name === 'timeline') {
      for (const m of rows as View[]) {
        const who = m.direction === 'in' ? `from ${m.from ?? '?'}` : `out by ${m.author ?? 'mailroom'}${m.deliveryStatus ? ` [${m.deliveryStatus}]` : ''}`;
        process.stdout.write(`--- ${m.at} ${who}: ${m.subject ?? ''}\n`);
        const atts = (m.attachments as string[] | undefined) ?? [];
        if (atts.length) process.stdout.write(`    attachments: ${atts.join(', ')}\n`);
        if (m.body) process.stdout.write(String(m.body).replace(/^/gm, '    ').trimEnd() + '\n');
      }
      continue;
    }
    if (rows.length) printRecords(rows as Record<string, unknown>[], { columns: opts.sections?.[name] });
  }
  if (typeof view.text === 'string' && view.text) process.stdout.write(`\ntext\n${view.text.replace(/^/gm, '    ').trimEnd()}\n`);
}

/** `leads`, `contacts` and `organisations`: list and show. */
export function registerRecordCommands(program: Command): void {
  const leads = program.command('leads').description(describe('leads'));
  leads
    .command('list')
    .description('list leads, newest first')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--status <status>', 'only leads in this state').choices(['new', 'qualified', 'won', 'lost']))
    .addOption(limitOption(100))
    .action(async (opts: { json?: boolean; status?: string; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listLeads(db.orm.em.fork(), { status: opts.status, limit: opts.limit });
        printRecords(rows, { json: opts.json, columns: ['ref', 'status', 'source', 'contact', 'organisation', 'dealer', 'subject', 'createdAt'] });
      });
    });
  leads
    .command('show <ref>')
    .description('one lead with its contact, organisation, dealer, form data and messages')
    .option('--json', 'print a JSON object')
    .action(async (ref: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const view = await showLead(db.orm.em.fork(), ref);
        if (!view) return cliError(`no lead ${ref}`);
        printDetail(view, { json: opts.json });
      });
    });

  const contacts = program.command('contacts').description(describe('contacts'));
  contacts
    .command('list')
    .description('list contacts by address')
    .option('--json', 'print a JSON array')
    .option('--organisation <id>', 'only contacts of this organisation (id)')
    .option('--search <text>', 'address or name contains this')
    .addOption(limitOption(500))
    .action(async (opts: { json?: boolean; organisation?: string; search?: string; limit: number }) => {
      if (opts.organisation && !/^\d+$/.test(opts.organisation)) return cliError('--organisation takes an organisation id (a number)');
      await withDatabase(async ({ db }) => {
        const rows = await listContacts(db.orm.em.fork(), { organisation: opts.organisation, search: opts.search, limit: opts.limit });
        printRecords(rows, { json: opts.json, columns: ['id', 'email', 'name', 'organisation', 'roles', 'tickets', 'leads'] });
      });
    });
  contacts
    .command('show <emailOrId>')
    .description('one contact with their tickets, leads and email log')
    .option('--json', 'print a JSON object')
    .action(async (key: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const view = await showContact(db.orm.em.fork(), key);
        if (!view) return cliError(`no contact ${key}`);
        printDetail(view, { json: opts.json });
      });
    });

  const organisations = program.command('organisations').description(describe('organisations'));
  organisations
    .command('list')
    .description('list organisations by name')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--kind <kind>', 'only this kind').choices([...ORGANISATION_KINDS]))
    .addOption(limitOption(500))
    .action(async (opts: { json?: boolean; kind?: string; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listOrganisations(db.orm.em.fork(), { kind: opts.kind, limit: opts.limit });
        printRecords(rows, { json: opts.json, columns: ['id', 'name', 'kind', 'domain', 'dealerNumber', 'contacts', 'tickets', 'leads'] });
      });
    });
  organisations
    .command('show <key>')
    .description('one organisation (by id, external ref, domain, dealer number or name) with its contacts, tickets and leads')
    .option('--json', 'print a JSON object')
    .action(async (key: string, opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const view = await showOrganisation(db.orm.em.fork(), key);
        if (!view) return cliError(`no organisation ${key}`);
        printDetail(view, { json: opts.json });
      });
    });
}
