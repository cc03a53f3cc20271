import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { withDatabase } from '../context.ts';
import { printRecords } from '../output.ts';
import { listsBySlugOrId } from '../../newsletter/subscribers.ts';
import { newsletterDepsFromConfig } from '../../newsletter/setup.ts';
import { recipientCounts } from '../../newsletter/campaign-sender.ts';
import {
  CampaignError, campaignStats, cancelCampaign, chartUrl, createCampaign, findCampaign, listCampaigns, pauseCampaign, previewCampaign, requestApproval, resumeCampaign, testSendCampaign,
} from '../../newsletter/campaigns.ts';
import type { Database } from '../../db/database.ts';
import { expectErrors } from './records.ts';
import { rowIdFromRef } from '../refs.ts';


/** A campaign's id as `campaigns list` prints it, or its ref as tasks show it (CAMPAIGN-12). */
function campaignId(ref: string): string {
  const id = rowIdFromRef(ref, 'CAMPAIGN');
  if (!id) throw new CampaignError(`no campaign ${ref} (give the id \`campaigns list\` prints, or CAMPAIGN-<id>)`);
  return id;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CampaignError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}

const run = (fn: () => Promise<void>) => expectErrors([CampaignError], fn);

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

export function registerCampaignsCommands(program: Command): void {
  const c = program.command('campaigns').description('newsletter campaigns');
  c.command('create')
    .requiredOption('--name <name>')
    .requiredOption('--subject <subject>', 'handlebars: {{first_name}}, {{name}}, {{email}}')
    .requiredOption('--html <file>', 'handlebars HTML (CSS in <style> is inlined)')
    .option('--text <file>', 'plain-text alternative (default: made from the HTML)')
    .requiredOption('--list <slug...>', 'lists to send to')
    .option('--lang <nb|en>', 'language of the footer and pages', 'nb')
    .action(async (o: { name: string; subject: string; html: string; text?: string; list: string[]; lang: string }) => {
      await run(() =>
        withDatabase(async ({ db }) => {
          const lists = await listsBySlugOrId(db.orm.em.fork(), o.list);
          const unknown = o.list.filter((r) => !lists.some((l) => l.slug === r || l.id === r));
          if (unknown.length) throw new CampaignError(`unknown list ${unknown.join(', ')} (see \`mailroom lists list\`)`);
          const input = { name: o.name, subject: o.subject, listIds: lists.map((l) => l.id), language: (o.lang === 'en' ? 'en' : 'nb') as 'en' | 'nb', html: readText(o.html), text: o.text ? readText(o.text) : null };
          const row = await db.orm.em.fork().transactional((em) => createCampaign(em, input));
          process.stdout.write(`${row.id}\n`);
        }),
      );
    });
  c.command('preview <id>')
    .option('--text', 'print the plain-text part instead of the HTML')
    .option('--out <file>', 'write to a file')
    .action(async (ref: string, o: { text?: boolean; out?: string }) => {
      await run(() =>
        withDatabase(async ({ db, config }) => {
          const m = await previewCampaign(db.orm.em.fork(), newsletterDepsFromConfig(config), campaignId(ref));
          const body = o.text ? m.text : m.html!;
          if (o.out) writeFileSync(o.out, body);
          else process.stdout.write(`Subject: ${m.subject}\n\n${body}\n`);
        }),
      );
    });
  c.command('test <id>')
    .requiredOption('--to <email>')
    .action(async (ref: string, o: { to: string }) => {
      await run(() =>
        withDatabase(async ({ db, config }) => {
          await db.orm.em.fork().transactional((em) => testSendCampaign(em, newsletterDepsFromConfig(config), campaignId(ref), o.to));
          process.stdout.write(`queued a test copy to ${o.to} (the daemon's outbox sends it)\n`);
        }),
      );
    });
  c.command('schedule <id>')
    .description('ask for approval (Slack task, action "broadcast"); sends at --at (Europe/Oslo) or on approval')
    .option('--at <datetime>', 'ISO date-time, e.g. 2026-12-01T09:00+01:00')
    .option('--wait', 'show a progress bar until the campaign is sent (up to 24 h)')
    .action(async (ref: string, o: { at?: string; wait?: boolean }) => {
      await run(() =>
        withDatabase(async ({ db, config }) => {
          const id = campaignId(ref);
          const at = o.at ? new Date(o.at) : null;
          if (at && Number.isNaN(at.getTime())) throw new CampaignError(`--at: not a date-time: ${o.at}`);
          const r = await db.orm.em.fork().transactional((em) => requestApproval(em, newsletterDepsFromConfig(config), id, at));
          process.stdout.write(`approval requested: task ${r.taskId}, ${r.audience} recipients\n`);
          if (o.wait) await watch(db, id, 24 * 3600_000);
        }),
      );
    });
  c.command('watch <id>')
    .description('progress bar while the campaign sends')
    .action(async (ref: string) => run(() => withDatabase(({ db }) => watch(db, campaignId(ref), 24 * 3600_000))));
  for (const [name, fn] of [['pause', pauseCampaign], ['resume', resumeCampaign], ['cancel', cancelCampaign]] as const) {
    c.command(`${name} <id>`).action(async (ref: string) => {
      await run(() =>
        withDatabase(async ({ db }) => {
          const id = campaignId(ref);
          if (!(await findCampaign(db.orm.em.fork(), id))) throw new CampaignError(`no campaign ${ref}`);
          const ok = await db.orm.em.fork().transactional((em) => fn(em, id));
          if (!ok) throw new CampaignError(`campaign ${id} cannot be ${name}d in its current state`);
        }),
      );
    });
  }
  c.command('list')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        printRecords((await listCampaigns(db.orm.em.fork())).map((r) => ({ id: r.id, name: r.name, subject: r.subject, status: r.status, scheduledAt: r.scheduled_at, approvedBy: r.approved_by, startedAt: r.started_at, finishedAt: r.finished_at })), { json: o.json, columns: ['id', 'name', 'status', 'scheduledAt', 'finishedAt'] });
      });
    });
  c.command('show <id>')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      await run(() =>
        withDatabase(async ({ db }) => {
          const id = campaignId(ref);
          const r = await findCampaign(db.orm.em.fork(), id);
          if (!r) throw new CampaignError(`no campaign ${ref}`);
          const counts = await recipientCounts(db.orm.em.fork(), id);
          printRecords([{ id: r.id, name: r.name, subject: r.subject, status: r.status, lists: r.list_ids.join(','), scheduledAt: r.scheduled_at, approvedBy: r.approved_by, links: r.links.length, ...counts }], { json: o.json, columns: ['id', 'name', 'status', 'subject', 'lists', 'scheduledAt', 'approvedBy'] });
        }),
      );
    });
  c.command('stats <id>')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      await run(() =>
        withDatabase(async ({ db, config }) => {
          const id = campaignId(ref);
          const s = await campaignStats(db.orm.em.fork(), id);
          if (!s) throw new CampaignError(`no campaign ${ref}`);
          if (o.json) return void process.stdout.write(JSON.stringify([{ ...s, chartUrl: chartUrl(newsletterDepsFromConfig(config), id) }], null, 2) + '\n');
          const { topLinks, timeline, machineReasons, ...flat } = s;
          printRecords([flat], { columns: Object.keys(flat) });
          process.stdout.write(`top links:\n${topLinks.map((l) => `  ${l.clicks}  ${l.url}`).join('\n') || '  (none)'}\nmachine events: ${JSON.stringify(machineReasons)}\nchart: ${chartUrl(newsletterDepsFromConfig(config), id)}\n`);
          void timeline;
        }),
      );
    });
}
