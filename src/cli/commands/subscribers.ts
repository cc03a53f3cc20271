import { Option, type Command } from 'commander';
import { limitOption } from '../options.ts';
import { withDatabase } from '../context.ts';
import { printRecords } from '../output.ts';
import { reportImport } from '../table-import-output.ts';
import { allLists, findSubscriber, signUp, unsubscribeAll, type ListRow } from '../../newsletter/subscribers.ts';
import { SUBSCRIBER_ALIASES, SUBSCRIBER_REQUIRED, importSubscriberRows, parseSubscribers, resolveLists } from '../../newsletter/subscriber-import.ts';
import { newsletterDepsFromConfig } from '../../newsletter/setup.ts';
import { subscriberOverview } from '../../newsletter/newsletter-store.ts';
import { readTableFile } from '../../table-import/read-file.ts';
import { TableFileError } from '../../table-import/read-table.ts';
import { describeColumns } from '../../table-import/columns.ts';
import { cliError, expectErrors } from './records.ts';
import { describe } from '../command-index.ts';

function unknownListsMessage(unknown: string[], known: ListRow[]): string {
  return `unknown list${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (${known.length ? `lists: ${known.map((l) => l.slug).join(', ')}` : 'no lists yet: `mailroom lists create`'})`;
}

export function registerSubscribersCommands(program: Command): void {
  const subs = program.command('subscribers').description(describe('subscribers'));
  subs
    .command('list')
    .description('subscribers, newest first, with their lists and where they stand on each')
    .option('--json', 'print a JSON array')
    .option('--list <slug>', 'only this list')
    .addOption(limitOption(100))
    .action(async (opts: { json?: boolean; list?: string; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await subscriberOverview(db.orm.em.fork(), { list: opts.list, limit: opts.limit });
        printRecords(rows.map((r) => ({ id: r.id, email: r.email, name: r.name, language: r.language, dnt: r.dnt, suppressed: r.suppressed_reason, lists: r.lists })), { json: opts.json, columns: ['id', 'email', 'name', 'dnt', 'suppressed', 'lists'] });
      });
    });
  subs
    .command('import <file>')
    .description(
      'add people who consented elsewhere, from a .csv (header row; , ; or tab separated; UTF-8 or Windows-1252) or .json file, ' +
        `confirmed at once; columns: ${describeColumns(SUBSCRIBER_ALIASES, SUBSCRIBER_REQUIRED).join('; ')}. ` +
        'Suppressed addresses are skipped, never re-added; importing again changes nothing',
    )
    .requiredOption('--list <slug...>', 'lists to add them to (slug or id, see `lists list`)')
    .option('--source <text>', 'where the consent was given (kept in the consent log)', 'import')
    .option('--all-or-nothing', 'import nothing if any row is bad')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { list: string[]; source: string; allOrNothing?: boolean; json?: boolean }) => {
      await expectErrors([TableFileError], async () => {
        const { text, format, warnings } = await readTableFile(file);
        let parsed;
        try {
          parsed = parseSubscribers(text, format);
        } catch (e) {
          if (e instanceof TableFileError) throw new TableFileError(`${file}: ${e.message}`);
          throw e;
        }
        parsed.warnings.unshift(...warnings);
        await withDatabase(async ({ db, config }) => {
          const { lists, unknown } = await resolveLists(db.orm.em.fork(), opts.list);
          if (unknown.length) return cliError(`${unknownListsMessage(unknown, await allLists(db.orm.em.fork()))}; nothing was imported`);
          const summary = await importSubscriberRows(db.orm, parsed, { listIds: lists.map((l) => l.id), source: opts.source, secret: config.secret }, { allOrNothing: opts.allOrNothing });
          reportImport(summary, file, { json: opts.json, words: { created: 'added', noUpdates: true } });
        });
      });
    });
  subs
    .command('add <email>')
    .description('sign someone up: they get the confirmation email (double opt-in)')
    .requiredOption('--list <slug...>', 'lists')
    .option('--name <name>', 'their name (used in greetings)')
    .addOption(new Option('--lang <lang>', 'language of their mail and pages').choices(['nb', 'en']).default('nb'))
    .action(async (email: string, opts: { list: string[]; name?: string; lang: string }) => {
      await withDatabase(async ({ db, config }) => {
        const { lists, unknown } = await resolveLists(db.orm.em.fork(), opts.list);
        if (unknown.length) return cliError(`${unknownListsMessage(unknown, await allLists(db.orm.em.fork()))}; nothing was changed`);
        const r = await db.orm.em.fork().transactional((em) => signUp(em, newsletterDepsFromConfig(config), { email, name: opts.name, language: opts.lang === 'en' ? 'en' : 'nb', listIds: lists.map((l) => l.id), source: 'cli', ip: null }));
        if ('error' in r) return cliError(r.error === 'invalid-email' ? `${email}: not an email address; nothing was changed` : 'no list given; nothing was changed');
        process.stdout.write(`${JSON.stringify(r)}\n`);
      });
    });
  subs
    .command('unsubscribe <email>')
    .description('take the address off every list at once (as their one-click unsubscribe does)')
    .action(async (email: string) => {
      await withDatabase(async ({ db, config }) => {
        const s = await findSubscriber(db.orm.em.fork(), { email });
        if (!s) return cliError(`no subscriber ${email}`);
        await db.orm.em.fork().transactional((em) => unsubscribeAll(em, config.secret, s.id, 'cli', null));
        process.stdout.write(`${email} unsubscribed from every list\n`);
      });
    });
}
