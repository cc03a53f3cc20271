import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { withDatabase } from '../context.ts';
import { CommandError, fileProblem } from '../command-error.ts';
import { printJson, printRecords } from '../output.ts';
import { listsBySlugOrId } from '../../newsletter/subscribers.ts';
import { newsletterDepsFromConfig } from '../../newsletter/setup.ts';
import { recipientCounts } from '../../newsletter/campaign-sender.ts';
import {
  CampaignError, campaignStats, cancelCampaign, chartUrl, createCampaign, findCampaign, listCampaigns, pauseCampaign, previewCampaign, requestApproval, resumeCampaign, testSendCampaign,
} from '../../newsletter/campaigns.ts';
import type { Database } from '../../db/database.ts';
import { describe } from '../command-index.ts';
import { expectErrors } from './records.ts';
import { rowIdFromRef } from '../refs.ts';

async function watch(db: Database, id: string, timeoutMs: number): Promise<void> {
  const bar = new SingleBar({ format: 'sending |{bar}| {value}/{total} sent, {failed} failed, {queued} left', hideCursor: true }, Presets.shades_classic);
  let started = false;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const c = await findCampaign(db.orm.em.fork(), id);
    const n = await recipientCounts(db.orm.em.fork(), id);
    const total = Object.values(n).reduce((a, b) => a + b, 0);
    const done = (n.sent ?? 0) + (n.bounced ?? 0);
    if (!started && total > 0) {
      bar.start(total, 0, { failed: 0, queued: total });
      started = true;
    }
    if (started) bar.update(done, { failed: n.failed ?? 0, queued: (n.queued ?? 0) + (n.sending ?? 0) });
    if (!c || ['sent', 'cancelled', 'rejected', 'paused'].includes(c.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (started) bar.stop();
}

/**
 * A campaign's id as `campaigns list` prints it, or its ref as tasks show it (CAMPAIGN-12);
 * anything else is refused where it is parsed, before the database is asked.
 */
function campaignId(value: string): string {
  const id = rowIdFromRef(value, 'CAMPAIGN');
  if (!id) throw new InvalidArgumentError('expected a campaign id (the number `campaigns list` prints, or CAMPAIGN-<id>).');
  return id;
}

/** The campaign service's refusals (no such campaign, wrong state) are one line, not a stack trace. */
const run = (fn: () => Promise<void>) => expectErrors([CampaignError], fn);

/** A file named by an option; one that cannot be read is one line naming the option and the file. */
function readOption(option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CommandError(`${option} ${fileProblem(file, e)}`);
  }
}

export function registerCampaignsCommands(program: Command): void {
  const c = program.command('campaigns').description(describe('campaigns'));
  c.command('create')
    .description('create a campaign as a draft; prints its id')
    .requiredOption('--name <name>', 'what staff call it (not shown to recipients)')
    .requiredOption('--subject <subject>', 'handlebars: {{first_name}}, {{name}}, {{email}}')
    .requiredOption('--html <file>', 'handlebars HTML (CSS in <style> is inlined)')
    .option('--text <file>', 'plain-text alternative (default: made from the HTML)')
    .requiredOption('--list <slug...>', 'lists to send to')
    .option('--lang <nb|en>', 'language of the footer and pages', 'nb')
    .action(async (o: { name: string; subject: string; html: string; text?: string; list: string[]; lang: string }) => {
      await run(() => withDatabase(async ({ db }) => {
        const lists = await listsBySlugOrId(db.orm.em.fork(), o.list);
        const unknown = o.list.filter((r) => !lists.some((l) => l.slug === r || l.id === r));
        if (unknown.length) throw new CommandError(`unknown list ${unknown.join(', ')} (see \`mailroom lists list\`)`);
        const row = await db.orm.em.fork().transactional((em) =>
          createCampaign(em, { name: o.name, subject: o.subject, listIds: lists.map((l) => l.id), language: o.lang === 'en' ? 'en' : 'nb', html: readOption('--html', o.html), text: o.text ? readOption('--text', o.text) : null }),
        );
        process.stdout.write(`${row.id}\n`);
      }));
    });
  c.command('preview').argument('<id>', 'the campaign id (mailroom campaigns list)', campaignId)
    .description('the campaign as a recipient gets it (HTML, or --text)')
    .option('--text', 'print the plain-text part instead of the HTML')
    .option('--out <file>', 'write to a file')
    .action(async (id: string, o: { text?: boolean; out?: string }) => {
      await run(() => withDatabase(async ({ db, config }) => {
        const m = await previewCampaign(db.orm.em.fork(), newsletterDepsFromConfig(config), id);
        const body = o.text ? m.text : m.html!;
        if (o.out) writeFileSync(o.out, body);
        else process.stdout.write(`Subject: ${m.subject}\n\n${body}\n`);
      }));
    });
  c.command('test').argument('<id>', 'the campaign id (mailroom campaigns list)', campaignId)
    .description('send one test copy through the outbox')
    .requiredOption('--to <email>', 'who gets the test copy')
    .action(async (id: string, o: { to: string }) => {
      await run(() => withDatabase(async ({ db, config }) => {
        await db.orm.em.fork().transactional((em) => testSendCampaign(em, newsletterDepsFromConfig(config), id, o.to));
        process.stdout.write(`queued a test copy to ${o.to} (the daemon's outbox sends it)\n`);
      }));
    });
  c.command('schedule').argument('<id>', 'the campaign id (mailroom campaigns list)', campaignId)
    .description('ask for approval (Slack task, action "broadcast"); sends at --at (Europe/Oslo) or on approval')
    .option('--at <datetime>', 'ISO date-time, e.g. 2026-12-01T09:00+01:00')
    .option('--wait', 'show a progress bar until the campaign is sent (up to 24 h)')
    .action(async (id: string, o: { at?: string; wait?: boolean }) => {
      await run(() => withDatabase(async ({ db, config }) => {
        const at = o.at ? new Date(o.at) : null;
        if (at && Number.isNaN(at.getTime())) throw new CommandError(`--at: not a date-time: ${o.at}`);
        const r = await db.orm.em.fork().transactional((em) => requestApproval(em, newsletterDepsFromConfig(config), id, at));
        process.stdout.write(`approval requested: task ${r.taskId}, ${r.audience} recipients\n`);
        if (o.wait) await watch(db, id, 24 * 3600_000);
      }));
    });
  c.command('watch').argument('<id>', 'the campaign id (mailroom campaigns list)', campaignId)
    .description('progress bar while the campaign sends')
    .action(async (id: string) => run(() => withDatabase(({ db }) => watch(db, id, 24 * 3600_000))));
  for (const [name, fn] of [['pause', pauseCampaign], ['resume', resumeCampaign], ['cancel', cancelCampaign]] as const) {
    c.command(name).argument('<id>', 'the campaign id (mailroom campaigns list)', campaignId).description(`${name} sending the campaign`).action(async (id: string) => {
      await run(() => withDatabase(async ({ db }) => {
        const ok = await db.orm.em.fork().transactional((em) => fn(em, id));
        const done = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' }[name];
        if (!ok) throw new CommandError(`campaign ${id} cannot be ${done} in its current state (or there is no such campaign)`);
        process.stdout.write(`campaign ${id} ${done}\n`);
      }));
    });
  }
  c.command('list')
    .description('campaigns, newest first')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        printRecords((await listCampaigns(db.orm.em.fork())).map((r) => ({ id: r.id, name: r.name, subject: r.subject, status: r.status, scheduledAt: r.scheduled_at, approvedBy: r.approved_by, startedAt: r.started_at, finishedAt: r.finished_at })), { json: o.json, columns: ['id', 'name', 'status', 'scheduledAt', 'finishedAt'] });
      });
    });
  c.command('show').argument('<id>', 'the campaign id (mailroom campaigns list)', campaignId)
    .description('one campaign with its lists and how many recipients are in each state')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await run(() => withDatabase(async ({ db }) => {
        const r = await findCampaign(db.orm.em.fork(), id);
        if (!r) throw new CommandError(`no campaign ${id}`);
        const counts = await recipientCounts(db.orm.em.fork(), id);
        printRecords([{ id: r.id, name: r.name, subject: r.subject, status: r.status, lists: r.list_ids.join(','), scheduledAt: r.scheduled_at, approvedBy: r.approved_by, links: r.links.length, ...counts }], { json: o.json, columns: ['id', 'name', 'status', 'subject', 'lists', 'scheduledAt', 'approvedBy'] });
      }));
    });
  c.command('stats').argument('<id>', 'the campaign id (mailroom campaigns list)', campaignId)
    .description('opens, clicks, unsubscribes and bounces, with the top links and a chart URL')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await run(() => withDatabase(async ({ db, config }) => {
        const s = await campaignStats(db.orm.em.fork(), id);
        if (!s) throw new CommandError(`no campaign ${id}`);
        if (o.json) return printJson([{ ...s, chartUrl: chartUrl(newsletterDepsFromConfig(config), id) }]);
        const { topLinks, timeline, machineReasons, ...flat } = s;
        printRecords([flat], { columns: Object.keys(flat) });
        process.stdout.write(`top links:\n${topLinks.map((l) => `  ${l.clicks}  ${l.url}`).join('\n') || '  (none)'}\nmachine events: ${JSON.stringify(machineReasons)}\nchart: ${chartUrl(newsletterDepsFromConfig(config), id)}\n`);
        void timeline;
      }));
    });
}
