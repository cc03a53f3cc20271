import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { DateTime } from 'luxon';
import { limitOption } from '../options.ts';
import { CommandError, fileProblem } from '../command-error.ts';
import { withDatabase, type CliContext } from '../context.ts';
import { printRecord, printRecords } from '../output.ts';
import { cliError, expectErrors } from './records.ts';
import type { Actor } from '../../tasks/task-types.ts';
import { systemClock } from '../../scheduler/clock.ts';
import {
  NoticeError,
  cancelNotice,
  createNotice,
  findNotice,
  listNotices,
  noticeSteps,
  resolveNotice,
  scheduleNotice,
  updateNotice,
  type NoticeRecord,
  type NoticeServiceDeps,
} from '../../notices/notice-service.ts';
import { importOpsContacts, listOpsContacts, parseOpsContactsCsv, setOrganisationServices } from '../../notices/recipients.ts';
import { runNoticeJob } from '../../notices/notice-job.ts';
import { noticeDepsFromConfig } from '../../notices/setup.ts';
import { organisationByKey } from '../../notices/notice-store.ts';
import { describe } from '../command-index.ts';

const cliActor = (name: string): Actor => ({ kind: 'cli', id: name, name });

function serviceDeps(ctx: CliContext): NoticeServiceDeps {
  return { notices: ctx.config.behaviour.notices, channels: ctx.config.behaviour.slack.channels, postToSlack: !!ctx.config.env.SLACK_BOT_TOKEN };
}

/** ISO 8601; without an offset it is read as Norwegian time (notices.timezone). */
export function parseNoticeTime(text: string, zone: string): Date {
  const t = DateTime.fromISO(text.trim().replace(' ', 'T'), { zone, setZone: false });
  if (!t.isValid) throw new NoticeError(`"${text}" is not a time (use e.g. 2026-12-01T22:00 or 2026-12-01T22:00+01:00)`);
  return t.toJSDate();
}

function summary(n: NoticeRecord): Record<string, unknown> {
  return {
    ref: n.ref,
    kind: n.kind,
    state: n.state,
    title: n.title,
    services: n.services,
    allCustomers: n.allCustomers,
    windowStart: n.windowStart,
    windowEnd: n.windowEnd,
    broadcastKey: n.broadcastKey,
    periodStart: n.periodStart,
    approvedBy: n.approvedBy,
    createdAt: n.createdAt,
  };
}

async function run(fn: (ctx: CliContext, deps: NoticeServiceDeps) => Promise<void>): Promise<void> {
  await expectErrors([NoticeError], async () => {
    await withDatabase(async (ctx) => fn(ctx, serviceDeps(ctx)));
  });
}

/** The text of a notice from a file; a file that cannot be read is the operator's one-line problem. */
async function readMessageFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new CommandError(`--message-file ${fileProblem(file, e)}`);
  }
}

/** `notices …`: operations notices (driftsmeldinger) and their recipients. */
export function registerNoticeCommands(program: Command): void {
  const notices = program.command('notices').description(describe('notices'));

  notices
    .command('create')
    .description('create a notice as a draft (or send it on its way with --schedule)')
    .addOption(new Option('--kind <kind>', 'what it is').choices(['maintenance', 'incident']).makeOptionMandatory())
    .requiredOption('--title <text>', 'what customers see first')
    .option('--services <keys>', 'affected services, comma separated (keys of notices.services)', '')
    .option('--all-customers', 'every organisation with ops-notice contacts, whatever it uses')
    .option('--message <text>', 'the text of the notice')
    .option('--message-file <file>', 'read the text from a file')
    .option('--start <time>', 'maintenance window start (ISO; Norwegian time unless an offset is given)')
    .option('--end <time>', 'maintenance window end')
    .addOption(new Option('--severity <level>', 'incidents: how bad').choices(['minor', 'major', 'critical']))
    .option('--schedule', 'schedule at once (approval per notices.approval)')
    .requiredOption('--as <name>', 'who is writing it')
    .option('--json', 'print JSON')
    .action(async (o: { kind: 'maintenance' | 'incident'; title: string; services: string; allCustomers?: boolean; message?: string; messageFile?: string; start?: string; end?: string; severity?: string; schedule?: boolean; as: string; json?: boolean }) => {
      await run(async (ctx, deps) => {
        const zone = deps.notices.timezone;
        const body = o.messageFile ? await readMessageFile(o.messageFile) : o.message ?? '';
        const em = ctx.db.orm.em.fork();
        const created = await em.transactional((tx) =>
          createNotice(
            tx,
            {
              kind: o.kind,
              title: o.title,
              body,
              services: o.services.split(',').filter(Boolean),
              allCustomers: o.allCustomers,
              severity: o.severity,
              windowStart: o.start ? parseNoticeTime(o.start, zone) : undefined,
              windowEnd: o.end ? parseNoticeTime(o.end, zone) : undefined,
              createdBy: o.as,
            },
            deps,
          ),
        );
        let out: Record<string, unknown> = summary(created);
        if (o.schedule) {
          const r = await scheduleNotice(em, created.ref, { actor: cliActor(o.as), now: systemClock.now() }, deps);
          out = { ...summary(r.notice), approvalTask: r.task?.publicId ?? null };
        }
        printRecord(out, { json: o.json });
      });
    });

  notices
    .command('schedule <ref>')
    .description('send a draft on its way: at once, or as an approval task when its kind needs approval')
    .requiredOption('--as <name>', 'who is acting')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { as: string; json?: boolean }) => {
      await run(async (ctx, deps) => {
        const r = await scheduleNotice(ctx.db.orm.em.fork(), ref, { actor: cliActor(o.as), now: systemClock.now() }, deps);
        printRecord({ ...summary(r.notice), approvalTask: r.task?.publicId ?? null }, { json: o.json });
      });
    });

  notices
    .command('update <ref>')
    .description('send an update on a running notice, threaded under its first message')
    .requiredOption('--message <text>', 'the update')
    .requiredOption('--as <name>', 'who is writing it (the approver of the notice sends without asking again)')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { message: string; as: string; json?: boolean }) => {
      await run(async (ctx, deps) => {
        const r = await updateNotice(ctx.db.orm.em.fork(), ref, { body: o.message, actor: cliActor(o.as), now: systemClock.now() }, deps);
        printRecord({ ref: r.notice.ref, step: r.step.label, state: r.step.state, approvalTask: r.task?.publicId ?? null }, { json: o.json });
      });
    });

  notices
    .command('resolve <ref>')
    .description('incident: send the resolution; maintenance: finished early, send "completed" now')
    .option('--message <text>', 'what was done')
    .requiredOption('--as <name>', 'who is acting')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { message?: string; as: string; json?: boolean }) => {
      await run(async (ctx, deps) => {
        const r = await resolveNotice(ctx.db.orm.em.fork(), ref, { body: o.message, actor: cliActor(o.as), now: systemClock.now() }, deps);
        printRecord({ ref: r.notice.ref, step: r.step.label, state: r.step.state, approvalTask: 'task' in r ? (r.task as { publicId: string } | undefined)?.publicId ?? null : null }, { json: o.json });
      });
    });

  notices
    .command('cancel <ref>')
    .description('stop a notice: nothing more is sent (mail still queued is withdrawn); whoever was told about it gets one cancellation, in the same thread')
    .option('--message <text>', 'a line for the cancellation mail (why, what happens instead)')
    .requiredOption('--as <name>', 'who is acting')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { message?: string; as: string; json?: boolean }) => {
      await run(async (ctx, deps) => {
        const r = await cancelNotice(ctx.db.orm.em.fork(), ref, { actor: cliActor(o.as), now: systemClock.now(), message: o.message }, deps);
        printRecord({ ...summary(r.notice), stepsCancelled: r.stepsCancelled, mailsWithdrawn: r.mailsWithdrawn, cancellationTo: r.cancellationTo }, { json: o.json });
      });
    });

  notices
    .command('list')
    .description('notices, newest first')
    .addOption(new Option('--state <state>', 'only this state').choices(['draft', 'awaiting-approval', 'scheduled', 'active', 'completed', 'resolved', 'cancelled', 'rejected']))
    .addOption(new Option('--kind <kind>', 'only this kind').choices(['maintenance', 'incident', 'broadcast']))
    .addOption(limitOption(100, 'at most n'))
    .option('--json', 'print JSON')
    .action(async (o: { state?: string; kind?: string; limit: number; json?: boolean }) => {
      await run(async (ctx) => {
        const rows = await listNotices(ctx.db.orm.em.fork(), { state: o.state, kind: o.kind, limit: o.limit });
        printRecords(rows.map(summary), { json: o.json, columns: ['ref', 'kind', 'state', 'title', 'services', 'windowStart', 'windowEnd'] });
      });
    });

  notices
    .command('show <ref>')
    .description('one notice with its schedule and how many got each message')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      await run(async (ctx, deps) => {
        const em = ctx.db.orm.em.fork();
        const n = await findNotice(em, ref, deps);
        if (!n) return cliError(`no notice ${ref}`);
        const steps = (await noticeSteps(em, n.id)).map((s) => ({ label: s.label, state: s.state, dueAt: s.dueAt, expiresAt: s.expiresAt, doneAt: s.doneAt, recipients: s.recipients, reason: s.reason, requestedBy: s.requestedBy }));
        const view = { ...summary(n), body: n.body, severity: n.severity, createdBy: n.createdBy, approvedAt: n.approvedAt, cancelledAt: n.cancelledAt, cancelledBy: n.cancelledBy, steps };
        if (o.json) return printRecord(view, { json: true });
        const { steps: _s, ...head } = view;
        printRecord(head, {});
        process.stdout.write('\nschedule\n');
        printRecords(steps, { columns: ['label', 'state', 'dueAt', 'doneAt', 'recipients', 'reason'] });
      });
    });

  notices
    .command('run')
    .description('send what is due now (the daemon does this on its own; for operators and scripts)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await run(async (ctx) => {
        const result = await runNoticeJob(ctx.db.orm, systemClock.now(), noticeDepsFromConfig(ctx.config, { log: ctx.log }));
        printRecord(result as unknown as Record<string, unknown>, { json: o.json });
      });
    });

  const contacts = notices.command('contacts').description('who gets operations notices: contacts with the role ops-notice-contact');
  contacts
    .command('import <file>')
    .description('CSV: organisation, domain, email, name, language (nb/nn/en), services (| separated); importing again changes nothing')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      await run(async (ctx, deps) => {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (e) {
          throw new NoticeError(fileProblem(file, e));
        }
        let parsed;
        try {
          parsed = parseOpsContactsCsv(text, deps.notices.services.map((s) => s.key));
        } catch (e) {
          throw new NoticeError(`${file}: not a readable CSV file (${(e as Error).message})`);
        }
        const s = await importOpsContacts(ctx.db.orm.em.fork(), parsed);
        for (const p of s.problems) process.stderr.write(`mailroom: ${file}:${p.line}: ${p.field ? p.field + ' ' : ''}${p.message}\n`);
        if (o.json) printRecord({ file, ...s } as unknown as Record<string, unknown>, { json: true });
        else process.stdout.write(`ops-notice contacts: ${s.added} added, ${s.alreadyListed} already listed, ${s.organisationsCreated} organisations created, ${s.servicesAdded} services added, ${s.rejected} rejected\n`);
        if (s.rejected > 0) process.exitCode = 1;
      });
    });
  contacts
    .command('list')
    .description('everyone on an ops-notice list, with their organisation and its services')
    .option('--service <key>', 'only organisations using this service')
    .option('--json', 'print JSON')
    .action(async (o: { service?: string; json?: boolean }) => {
      await run(async (ctx) => {
        const rows = await listOpsContacts(ctx.db.orm.em.fork(), { service: o.service });
        printRecords(rows as unknown as Record<string, unknown>[], { json: o.json, columns: ['organisation', 'email', 'name', 'language', 'services'] });
      });
    });

  notices
    .command('services')
    .description('set the services an organisation uses (replaces its list)')
    .command('set <organisation> [services...]')
    .description('organisation by domain, exact name or id')
    .action(async (organisation: string, services: string[]) => {
      await run(async (ctx, deps) => {
        const known = new Set(deps.notices.services.map((s) => s.key));
        const unknown = services.filter((s) => !known.has(s));
        if (unknown.length) throw new NoticeError(`unknown service ${unknown.join(', ')}`);
        const em = ctx.db.orm.em.fork();
        const org = await organisationByKey(em, organisation);
        if (!org) throw new NoticeError(`no organisation ${organisation}`);
        await em.transactional((tx) => setOrganisationServices(tx, org.id, services));
        process.stdout.write(`${org.name}: ${services.join(', ') || '(no services)'}\n`);
      });
    });
}
