import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { limitOption } from '../options.ts';
import { withDatabase } from '../context.ts';
import { CommandError } from '../command-error.ts';
import { printRecords } from '../output.ts';
import { sqlOf } from '../../db/sql.ts';
import { findSubscriber, importSubscribers, listsBySlugOrId, signUp, unsubscribeAll } from '../../newsletter/subscribers.ts';
import { newsletterDepsFromConfig } from '../../newsletter/setup.ts';
import { describe } from '../command-index.ts';

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
        const rows = await sqlOf(db.orm.em.fork())(
          `select s.id::text, s.email, s.name, s.language, s.dnt, s.suppressed_reason,
                  coalesce(string_agg(l.slug || ':' || x.status, ',' order by l.slug), '') as lists
             from newsletter_subscriber s left join newsletter_subscription x on x.subscriber_id = s.id left join newsletter_list l on l.id = x.list_id
            where (?::text is null or exists (select 1 from newsletter_subscription y join newsletter_list z on z.id = y.list_id where y.subscriber_id = s.id and z.slug = ?))
            group by s.id order by s.id desc limit ?`,
          [opts.list ?? null, opts.list ?? null, opts.limit],
        );
        printRecords(rows.map((r) => ({ id: r.id, email: r.email, name: r.name, language: r.language, dnt: r.dnt, suppressed: r.suppressed_reason, lists: r.lists })), { json: opts.json, columns: ['id', 'email', 'name', 'dnt', 'suppressed', 'lists'] });
      });
    });
  subs
    .command('import <file.csv>')
    .description('CSV with a header: email[,name,language]; confirmed consent given elsewhere (suppressed addresses are skipped)')
    .requiredOption('--list <slug...>', 'lists to add them to')
    .option('--source <text>', 'where the consent was given', 'import')
    .action(async (file: string, opts: { list: string[]; source: string }) => {
      const records = parse(readFileSync(file), { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, trim: true }) as { email: string; name?: string; language?: string }[];
      await withDatabase(async ({ db }) => {
        const lists = await listsBySlugOrId(db.orm.em.fork(), opts.list);
        if (lists.length !== opts.list.length) throw new Error(`unknown list among ${opts.list.join(', ')}`);
        const r = await db.orm.em.fork().transactional((em) => importSubscribers(em, records, lists.map((l) => l.id), opts.source));
        process.stdout.write(`${JSON.stringify(r)}\n`);
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
        const lists = await listsBySlugOrId(db.orm.em.fork(), opts.list);
        if (lists.length !== opts.list.length) throw new CommandError(`unknown list among ${opts.list.join(', ')} (see mailroom lists list)`);
        const r = await db.orm.em.fork().transactional((em) => signUp(em, newsletterDepsFromConfig(config), { email, name: opts.name, language: opts.lang === 'en' ? 'en' : 'nb', listIds: lists.map((l) => l.id), source: 'cli', ip: null }));
        // A refusal (a bad address) is an error for scripts, not a result.
        if ('error' in r && r.error) throw new CommandError(`${email}: ${String(r.error).replace(/-/g, ' ')}`);
        process.stdout.write(`${JSON.stringify(r)}\n`);
      });
    });
  subs
    .command('unsubscribe <email>')
    .description('take the address off every list at once (as their one-click unsubscribe does)')
    .action(async (email: string) => {
      await withDatabase(async ({ db }) => {
        const s = await findSubscriber(db.orm.em.fork(), { email });
        if (!s) throw new CommandError(`no subscriber ${email}`);
        await db.orm.em.fork().transactional((em) => unsubscribeAll(em, s.id, 'cli', null));
        process.stdout.write(`${email} unsubscribed from every list\n`);
      });
    });
}
