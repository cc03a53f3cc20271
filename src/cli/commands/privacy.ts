/**
 * `mailroom privacy list|show|approve|deny|extend|export`: privacy cases from the command line.
 * approve/deny decide the case's approval task through the same decideTask (and allow-list) as
 * the Slack buttons; export prints the access package for staff.
 */
import { Option, type Command } from 'commander';
import { limitOption } from '../options.ts';
import { writeFileSync } from 'node:fs';
import { withDatabase, type CliContext } from '../context.ts';
import { printJson, printRecord, printRecords } from '../output.ts';
import { caseAuditTrail, caseOverview } from '../../privacy/privacy-store.ts';
import { tasksOfRecord } from '../../tasks/task-store.ts';
import { slackApproversSchema } from '../../tasks/approvers.ts';
import { ActionRegistry } from '../../tasks/action-registry.ts';
import { decideTask } from '../../tasks/task-service.ts';
import { registerPrivacyActions } from '../../privacy/wire.ts';
import { privacyCoverage, privacyDepsWithEffects } from '../../app/privacy-setup.ts';
import { effectiveDueDate, extendCase, findCase, rightsOf } from '../../privacy/case-service.ts';
import { subjectKeys } from '../../privacy/subject.ts';
import { buildAccessPackage, renderPackageHtml } from '../../privacy/access-package.ts';
import { normaliseAddress } from '../../threading/normalise-address.ts';
import { isEmailAddress } from '../../mail/address.ts';
import { describe } from '../command-index.ts';

function fail(message: string, code = 1): void {
  process.stderr.write(`mailroom: ${message}\n`);
  process.exitCode = code;
}

function depsOf(ctx: CliContext) {
  return privacyDepsWithEffects(ctx.config);
}

export function registerPrivacyCommands(program: Command): void {
  const privacy = program.command('privacy').description(describe('privacy'));

  privacy
    .command('list')
    .description('privacy cases, newest first')
    .option('--json', 'print a JSON array')
    .option('--open', 'only cases not completed, denied or cancelled')
    .addOption(limitOption(500))
    .action(async (o: { json?: boolean; open?: boolean; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await caseOverview(db.orm.em.fork(), { open: o.open, limit: o.limit });
        printRecords(
          rows.map((r) => ({ id: r.ref, state: r.state, identity: r.identity, rights: r.rights, receivedAt: r.received_at, dueDate: effectiveDueDate(r), language: r.language })),
          { json: o.json, columns: ['id', 'state', 'identity', 'rights', 'dueDate'] },
        );
      });
    });

  privacy
    .command('show <ref>')
    .description('one case: rights, tasks and the audit trail')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const em = db.orm.em.fork();
        const c = await findCase(em, { ref });
        if (!c) return fail(`no privacy case ${ref}`, 3);
        const rights = (await rightsOf(em, c.id)).map((r) => ({ right: r.right, state: r.state, reason: r.reason, outcome: r.outcome }));
        const tasks = await tasksOfRecord(em, c.ref);
        const audit = await caseAuditTrail(em, c.id);
        const head = { id: c.ref, state: c.state, identity: c.identity, dmarc: c.dmarc, senderOnFile: c.sender_on_file, email: c.subject_email, receivedAt: c.received_at, dueDate: effectiveDueDate(c), extensionReason: c.extension_reason, language: c.language };
        if (o.json) return printJson({ ...head, rights, tasks, audit });
        printRecord(head, {});
        process.stdout.write('\nrights:\n');
        printRecords(rights, { columns: ['right', 'state', 'reason'] });
        process.stdout.write('\ntasks:\n');
        printRecords(tasks, { columns: ['id', 'actionKind', 'state', 'decidedBy'] });
        process.stdout.write('\naudit:\n');
        printRecords(audit, { columns: ['at', 'actorKind', 'actorName', 'action'] });
      });
    });

  const decide = (name: 'approve' | 'deny') => {
    const cmd = privacy
      .command(`${name} <ref>`)
      .description(name === 'approve' ? 'approve a right of a case (runs the export, erasure or rectification)' : 'deny a right, with reasons sent to the person')
      .requiredOption('--as <name>', 'who is acting (must be allowed in slack.approvers)')
      .option('--right <right>', 'which right (access, erasure, rectification, completion); needed when several wait')
      .option('--json', 'print JSON');
    if (name === 'deny') cmd.requiredOption('--reason <text>', 'the reasons (sent to the person, with the right to complain to Datatilsynet)');
    cmd.action(async (ref: string, o: { as: string; right?: string; reason?: string; json?: boolean }) => {
      await withDatabase(async (ctx) => {
        const em = ctx.db.orm.em.fork();
        const c = await findCase(em, { ref });
        if (!c) return fail(`no privacy case ${ref}`, 3);
        const waiting = (await rightsOf(em, c.id)).filter((r) => r.state === 'pending_approval' && r.task_id && (!o.right || r.right === o.right));
        if (waiting.length !== 1) return fail(waiting.length ? `several rights wait for approval: use --right (${waiting.map((w) => w.right).join(', ')})` : `nothing of ${c.ref} waits for approval`);
        const actions = new ActionRegistry();
        registerPrivacyActions(actions, depsOf(ctx));
        const result = await decideTask(
          em,
          { taskId: waiting[0]!.task_id!, decision: name === 'approve' ? 'approve' : 'reject', actor: { kind: 'cli', id: o.as, name: o.as }, reason: o.reason },
          { approvers: slackApproversSchema.parse((ctx.config.behaviour.slack as { approvers?: unknown }).approvers ?? {}), actions, postToSlack: !!ctx.config.env.SLACK_BOT_TOKEN },
        );
        if (!result.ok) return fail(`${result.reason}; nothing was changed`);
        printRecord({ id: c.ref, right: waiting[0]!.right, task: result.task.publicId, state: result.task.state, decidedBy: result.task.decidedBy }, { json: o.json });
      });
    });
  };
  decide('approve');
  decide('deny');

  privacy
    .command('extend <ref>')
    .description('extend the deadline by 1 or 2 months (art. 12(3)); the reasons are sent to the person')
    .requiredOption('--as <name>', 'who is acting')
    .requiredOption('--reason <text>', 'why more time is needed')
    .addOption(new Option('--months <n>', 'how many months').choices(['1', '2']).default('2'))
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { as: string; reason: string; months: string; json?: boolean }) => {
      await withDatabase(async (ctx) => {
        const r = await ctx.db.orm.em.fork().transactional((em) => extendCase(em, ref, Number(o.months), o.reason, { kind: 'cli', id: o.as, name: o.as }, depsOf(ctx)));
        if (!r.ok) return fail(`${r.reason}; nothing was changed`);
        printRecord({ id: ref, dueDate: r.dueDate }, { json: o.json });
      });
    });

  privacy
    .command('export')
    .description('the access package for an address (staff copy; JSON by default)')
    .requiredOption('--email <address>', 'the person’s address on file')
    .option('--html <file>', 'also write the readable HTML package to this file')
    .addOption(new Option('--language <lang>', 'language of the package').choices(['nb', 'en']).default('nb'))
    .action(async (o: { email: string; html?: string; language: string }) => {
      if (!isEmailAddress(o.email.trim(), { dottedDomain: true })) return fail(`--email: not an email address: ${o.email}`);
      await withDatabase(async (ctx) => {
        const em = ctx.db.orm.em.fork();
        const pkg = await buildAccessPackage(em, { keys: await subjectKeys(em, normaliseAddress(o.email)), config: ctx.config.behaviour.privacy, language: o.language === 'en' ? 'en' : 'nb', now: new Date(), coverage: privacyCoverage() });
        if (o.html) {
          try {
            writeFileSync(o.html, renderPackageHtml(pkg), { mode: 0o600 });
          } catch (e) {
            return fail(`--html ${o.html}: cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
          }
        }
        printJson(pkg);
      });
    });
}
