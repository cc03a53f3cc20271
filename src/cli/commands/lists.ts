import type { Command } from 'commander';
import { withDatabase } from '../context.ts';
import { printRecords } from '../output.ts';
import { allLists, ensureLists } from '../../newsletter/subscribers.ts';
import { confirmedCountsByList } from '../../newsletter/newsletter-store.ts';
import { describe } from '../command-index.ts';

export function registerListsCommands(program: Command): void {
  const lists = program.command('lists').description(describe('lists'));
  lists
    .command('list')
    .description('newsletter lists with how many confirmed subscribers each has')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const em = db.orm.em.fork();
        const counts = await confirmedCountsByList(em);
        printRecords((await allLists(em)).map((l) => ({ id: l.id, slug: l.slug, nameNb: l.name_nb, nameEn: l.name_en, public: l.public, confirmed: counts.get(l.id) ?? 0 })), { json: opts.json, columns: ['id', 'slug', 'nameNb', 'nameEn', 'public', 'confirmed'] });
      });
    });
  lists
    .command('create <slug>')
    .description('create a list (a slug that exists already is left as it is)')
    .requiredOption('--nb <name>', 'Norwegian name')
    .requiredOption('--en <name>', 'English name')
    .option('--private', 'not offered on the sign-up form')
    .action(async (slug: string, opts: { nb: string; en: string; private?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const existed = (await allLists(db.orm.em.fork())).some((l) => l.slug === slug);
        await db.orm.em.fork().transactional((em) => ensureLists(em, [{ slug, nb: opts.nb, en: opts.en, public: !opts.private }]));
        process.stdout.write(existed ? `list ${slug} exists already; nothing changed\n` : `list ${slug} created\n`);
      });
    });
}
