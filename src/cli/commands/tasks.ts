import { Argument, Option, type Command } from 'commander';
import { limitOption } from '../options.ts';
import { withDatabase, type CliContext } from '../context.ts';
import { printJson, printRecord, printRecords } from '../output.ts';
import { slackApproversSchema, type SlackApprovers } from '../../tasks/approvers.ts';
import { ActionRegistry } from '../../tasks/action-registry.ts';
import {
  decideTask,
  findTask,
  listTasks,
  parseTaskRef,
  replyToTask,
  taskAudit,
  type DecideResult,
  type Decision,
  type ReclassifyFn,
  type ReplyFn,
} from '../../tasks/task-service.ts';
import type { Actor, TaskRecord } from '../../tasks/task-types.ts';
import { describe } from '../command-index.ts';
import { TRIAGE_ROUTES, TRIAGE_ROUTE_MEANING } from '../../tasks/triage-routes.ts';
import { TriageError } from '../../handlers/triage-actions.ts';
import { ReclassifyError } from '../../handlers/reclassify-record.ts';
import { expectErrors } from './records.ts';

/** What the CLI needs from the other concerns to run approved actions and triage (the lead wires it). */
export interface TaskCommandServices {
  actions?: ActionRegistry;
  onReclassify?: ReclassifyFn;
  onReply?: ReplyFn;
}

export interface TaskCommandOptions {
  services?: (ctx: CliContext) => TaskCommandServices | Promise<TaskCommandServices>;
}

function approversOf(ctx: CliContext): SlackApprovers {
  return slackApproversSchema.parse((ctx.config.behaviour.slack as { approvers?: unknown }).approvers ?? {});
}

function summary(t: TaskRecord): Record<string, unknown> {
  return {
    id: t.publicId,
    kind: t.kind,
    record: t.recordRef,
    title: t.kind === 'privacy-case' ? `${String(t.details.right ?? 'privacy request')}` : t.title,
    state: t.state,
    actionKind: t.actionKind,
    assignee: t.assigneeName,
    channel: t.channel,
    slackTs: t.slackTs,
    version: t.version,
    decidedBy: t.decidedBy,
    decidedAt: t.decidedAt,
    reason: t.reason,
    createdAt: t.createdAt,
  };
}

function report(result: DecideResult, json: boolean | undefined): void {
  if (result.ok) {
    printRecord(summary(result.task), { json });
    return;
  }
  if (json) process.stdout.write(JSON.stringify({ ok: false, code: result.code, reason: result.reason }, null, 2) + '\n');
  process.stderr.write(`mailroom: ${result.reason}; nothing was changed\n`);
  process.exitCode = result.code === 'not-found' ? 3 : 1;
}

function cliActor(name: string): Actor {
  return { kind: 'cli', id: name, name };
}

/**
 * `mailroom tasks …`: the CLI twin of the Slack buttons, through the same decideTask (same
 * allow-list: `--as` must be named in slack.approvers for the task's action kind or kind).
 */
export function registerTaskCommands(program: Command, opts: TaskCommandOptions = {}): void {
  const tasks = program.command('tasks').description(describe('tasks'));

  tasks
    .command('list')
    .description('list tasks, newest first')
    .option('--json', 'print a JSON array')
    .addOption(new Option('--state <state>', 'only tasks in this state').choices(['open', 'approved', 'rejected', 'done', 'expired']))
    .option('--kind <kind>', 'only tasks of this kind')
    .option('--record <ref>', 'only tasks about this record (e.g. SUP-000001)')
    .addOption(limitOption(100))
    .action(async (o: { json?: boolean; state?: string; kind?: string; record?: string; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listTasks(db.orm.em.fork(), { state: o.state, kind: o.kind, recordRef: o.record?.trim().toUpperCase(), limit: o.limit });
        printRecords(rows.map(summary), { json: o.json, columns: ['id', 'kind', 'record', 'state', 'actionKind', 'assignee', 'title', 'decidedBy'] });
      });
    });

  tasks
    .command('show <id>')
    .description('one task with its audit trail')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withDatabase(async ({ db }) => {
        const em = db.orm.em.fork();
        const task = await findTask(em, parseTaskRef(id));
        if (!task) {
          process.stderr.write(`mailroom: no task ${id}\n`);
          process.exitCode = 3;
          return;
        }
        const audit = (await taskAudit(em, task.id)).map((a) => ({ at: a.at, actorKind: a.actorKind, actorId: a.actorId, actorName: a.actorName, action: a.action, detail: a.detail }));
        if (o.json) {
          printJson({ ...summary(task), summary: task.kind === 'privacy-case' ? null : task.summary, details: task.details, audit });
          return;
        }
        printRecord({ ...summary(task), summary: task.kind === 'privacy-case' ? null : task.summary }, {});
        process.stdout.write('\naudit:\n');
        printRecords(audit, { columns: ['at', 'actorKind', 'actorName', 'action', 'detail'] });
      });
    });

  const decide = (name: string, decision: Decision, description: string, needsReason: boolean) => {
    const cmd = tasks
      .command(`${name} <id>`)
      .description(description)
      .requiredOption('--as <name>', 'who is acting (must be allowed in slack.approvers)')
      .option('--json', 'print JSON');
    if (needsReason) cmd.requiredOption('--reason <text>', 'why (recorded in the audit and shown in Slack)');
    else cmd.option('--reason <text>', 'note recorded with the decision');
    cmd.action(async (id: string, o: { as: string; reason?: string; json?: boolean }) => {
      await withDatabase(async (ctx) => {
        const services = (await opts.services?.(ctx)) ?? {};
        const result = await decideTask(
          ctx.db.orm.em.fork(),
          { ...parseTaskRef(id), decision, actor: cliActor(o.as), reason: o.reason },
          { approvers: approversOf(ctx), actions: services.actions ?? new ActionRegistry(), onReclassify: services.onReclassify, postToSlack: !!ctx.config.env.SLACK_BOT_TOKEN },
        );
        report(result, o.json);
      });
    });
  };
  decide('approve', 'approve', 'approve a task (runs its action)', false);
  decide('reject', 'reject', 'reject a task', true);
  decide('assign', 'assign', 'assign a task to --as', false);
  decide('close', 'done', 'mark a task done', false);

  tasks
    .command('reclassify')
    .argument('<id>', 'the task (T-…) of a triage item, ticket or lead')
    .addArgument(new Argument('<route>', 'where it belongs').choices([...TRIAGE_ROUTES]))
    .description(
      `send a triage item on: ${TRIAGE_ROUTES.map((r) => `${r} (${TRIAGE_ROUTE_MEANING[r]})`).join(', ')}; ` +
        'or move a ticket or lead to the other queue (or spam)',
    )
    .requiredOption('--as <name>', 'who is acting')
    .option('--json', 'print JSON')
    .action(async (id: string, route: string, o: { as: string; json?: boolean }) => {
      // A refused move (already resolved, already that kind of record) is one line, not a trace.
      await expectErrors([TriageError, ReclassifyError], () =>
        withDatabase(async (ctx) => {
          const services = (await opts.services?.(ctx)) ?? {};
          const result = await decideTask(
            ctx.db.orm.em.fork(),
            { ...parseTaskRef(id), decision: 'reclassify', route, actor: cliActor(o.as) },
            { approvers: approversOf(ctx), actions: services.actions, onReclassify: services.onReclassify, postToSlack: !!ctx.config.env.SLACK_BOT_TOKEN },
          );
          report(result, o.json);
        }),
      );
    });

  tasks
    .command('reply <id>')
    .description('reply by email on the record of a task')
    .requiredOption('--as <name>', 'who is replying')
    .requiredOption('--text <text>', 'the reply')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { as: string; text: string; json?: boolean }) => {
      await withDatabase(async (ctx) => {
        const services = (await opts.services?.(ctx)) ?? {};
        if (!services.onReply) {
          process.stderr.write('mailroom: replying is not set up\n');
          process.exitCode = 1;
          return;
        }
        const result = await replyToTask(
          ctx.db.orm.em.fork(),
          { ...parseTaskRef(id), actor: cliActor(o.as), text: o.text },
          { approvers: approversOf(ctx), onReply: services.onReply, postToSlack: !!ctx.config.env.SLACK_BOT_TOKEN },
        );
        report(result, o.json);
      });
    });
}
