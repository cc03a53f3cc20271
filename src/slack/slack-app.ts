import { App, LogLevel, webApi, type Logger as BoltLogger } from '@slack/bolt';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import { ActionRegistry } from '../tasks/action-registry.ts';
import { allowListKey, isAllowed, type SlackApprovers } from '../tasks/approvers.ts';
import {
  decideTask,
  findTask,
  parseTaskRef,
  replyToTask,
  type DecideResult,
  type Decision,
  type ReclassifyFn,
  type ReplyFn,
} from '../tasks/task-service.ts';
import type { Actor, TaskRecord } from '../tasks/task-types.ts';
import {
  ACTION_IDS,
  INPUT_IDS,
  VIEW_IDS,
  helpText,
  parseButtonValue,
  parseModalMeta,
  rejectModal,
  replyModal,
  taskStatusText,
} from './block-kit.ts';
import { MailroomHttpReceiver, type MountRoute } from './receiver.ts';

export interface SlackAppCallbacks {
  /** Reply modal submitted: enqueue the threaded email (and record it on the ticket) through `em`. */
  onReply?: ReplyFn;
  /** Triage button: file the item as support / sales / privacy / spam through `em`. */
  onReclassify?: ReclassifyFn;
  /** `/mailroom <ID>` for IDs that are not tasks: a short mrkdwn status, or null if unknown. */
  describeRecord?: (id: string) => Promise<string | null>;
}

export interface CreateSlackAppOptions {
  orm: MikroORM;
  /** SLACK_BOT_TOKEN */
  botToken: string;
  /** SLACK_SIGNING_SECRET: required for the HTTP receiver. */
  signingSecret?: string;
  /** SLACK_APP_TOKEN: when set, Socket Mode is used instead of the HTTP route. */
  appToken?: string;
  /** SLACK_API_URL */
  apiUrl?: string;
  /** behaviour.slack.approvers (parsed with slackApproversSchema). */
  approvers: SlackApprovers;
  actions: ActionRegistry;
  /** HttpServer.route, bound: `(m, p, h) => http.route(m, p, h)`. Needed unless Socket Mode. */
  route?: MountRoute;
  path?: string;
  callbacks?: SlackAppCallbacks;
  log: Logger;
  /** Called after a commit that enqueued outbox rows (e.g. `() => dispatcher.wake()`). */
  onCommitted?: () => void;
}

export interface SlackApp {
  app: App;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function boltLogger(log: Logger): BoltLogger {
  const fmt = (m: unknown[]) => m.map((x) => (typeof x === 'string' ? x : x instanceof Error ? x.message : JSON.stringify(x))).join(' ');
  return {
    debug: (...m: unknown[]) => log.debug(fmt(m)),
    info: (...m: unknown[]) => log.info(fmt(m)),
    warn: (...m: unknown[]) => log.warn(fmt(m)),
    error: (...m: unknown[]) => log.error(fmt(m)),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

function actorOf(user: { id?: string; username?: string; name?: string } | undefined): Actor {
  const id = String(user?.id ?? 'unknown');
  return { kind: 'slack', id, name: String(user?.username ?? user?.name ?? id) };
}

const DECISION_OF: Record<string, Decision> = {
  [ACTION_IDS.approve]: 'approve',
  [ACTION_IDS.assign]: 'assign',
  [ACTION_IDS.close]: 'done',
};

function failureText(r: Extract<DecideResult, { ok: false }>): string {
  switch (r.code) {
    case 'not-allowed':
      return `:no_entry: You are not allowed to do that (${r.reason}). Nothing was changed.`;
    case 'already-decided':
      return `:information_source: ${r.task?.publicId ?? 'This task'} was ${r.reason}. Nothing was changed.`;
    case 'stale':
      return `:arrows_counterclockwise: ${r.reason}. Nothing was changed.`;
    default:
      return `:warning: ${r.reason}. Nothing was changed.`;
  }
}

/**
 * The Slack side of tasks: buttons, modals and the `/mailroom` command. Every action goes
 * through the task service (the CLI's path too): allow-list, optimistic lock, audit, outbox.
 * Listeners do their database work, then ack; Slack messages are changed only through the
 * outbox (chat.update rows), never from here, so a Slack outage loses nothing.
 */
export function createSlackApp(o: CreateSlackAppOptions): SlackApp {
  const log = o.log;
  const cb = o.callbacks ?? {};
  const socketMode = !!o.appToken;
  const clientOptions = { slackApiUrl: o.apiUrl, retryConfig: { retries: 1 } };

  // auth.test once, lazily, and again only if it failed: an unreachable Slack at start-up
  // must not stop interactions later.
  const authClient = new webApi.WebClient(o.botToken, { ...clientOptions, logLevel: webApi.LogLevel.ERROR });
  let identity: Promise<{ botId?: string; botUserId?: string }> | null = null;
  const authorize = async () => {
    identity ??= authClient.auth.test().then(
      (r) => ({ botId: r.bot_id, botUserId: r.user_id }),
      (e) => {
        identity = null;
        log.warn({ err: e }, 'Slack auth.test failed; continuing without the bot identity');
        return {};
      },
    );
    return { botToken: o.botToken, ...(await identity) };
  };

  let receiver: MailroomHttpReceiver | undefined;
  let app: App;
  if (socketMode) {
    app = new App({ socketMode: true, appToken: o.appToken, authorize, clientOptions, logger: boltLogger(log) });
  } else {
    if (!o.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required for the Slack HTTP receiver');
    if (!o.route) throw new Error('the Slack HTTP receiver needs the HTTP server route function');
    receiver = new MailroomHttpReceiver({ signingSecret: o.signingSecret, route: o.route, path: o.path, log });
    app = new App({ receiver, authorize, clientOptions, logger: boltLogger(log) });
  }

  const em = () => o.orm.em.fork();
  const decideDeps = { approvers: o.approvers, actions: o.actions, onReclassify: cb.onReclassify };

  type Client = InstanceType<typeof webApi.WebClient>;
  const ephemeral = async (client: Client, channel: string | undefined, user: string, text: string) => {
    if (!channel) return;
    try {
      await client.chat.postEphemeral({ channel, user, text });
    } catch (e) {
      log.warn({ err: e }, 'could not send an ephemeral Slack message');
    }
  };

  /** Before opening a modal: may this user act on this task at all? */
  const precheck = async (publicId: string, actor: Actor): Promise<{ ok: true; task: TaskRecord } | { ok: false; text: string }> => {
    const task = await findTask(em(), { publicId });
    if (!task) return { ok: false, text: `:warning: No task ${publicId}.` };
    if (!isAllowed(allowListKey(task), actor, o.approvers)) {
      log.warn({ task: publicId, actor: actor.id }, 'Slack user not on the allow-list');
      return { ok: false, text: `:no_entry: You are not allowed to act on ${allowListKey(task)} tasks. Nothing was changed.` };
    }
    if (task.state !== 'open') return { ok: false, text: `:information_source: ${task.publicId} was already decided by ${task.decidedBy ?? 'someone else'} (${task.state}). Nothing was changed.` };
    return { ok: true, task };
  };

  app.action(/^mailroom_/, async ({ ack, body, action, client }) => {
    const b = body as { user?: { id?: string; username?: string; name?: string }; channel?: { id?: string }; trigger_id?: string; container?: { channel_id?: string } };
    const a = action as { action_id: string; value?: string };
    const actor = actorOf(b.user);
    const channel = b.channel?.id ?? b.container?.channel_id;
    const ref = parseButtonValue(a.value);
    if (!ref) {
      await ack();
      return;
    }
    if (a.action_id === ACTION_IDS.reject || a.action_id === ACTION_IDS.reply) {
      const pre = await precheck(ref.publicId, actor);
      await ack();
      if (!pre.ok) return ephemeral(client, channel, actor.id, pre.text);
      const view = a.action_id === ACTION_IDS.reject ? rejectModal(pre.task) : replyModal(pre.task);
      try {
        await client.views.open({ trigger_id: b.trigger_id!, view: view as never });
      } catch (e) {
        log.warn({ err: e, task: ref.publicId }, 'could not open a Slack modal');
        await ephemeral(client, channel, actor.id, ':warning: Slack did not open the form; please click again.');
      }
      return;
    }
    let decision = DECISION_OF[a.action_id];
    let route: string | undefined;
    if (a.action_id.startsWith(ACTION_IDS.routePrefix)) {
      decision = 'reclassify';
      route = a.action_id.slice(ACTION_IDS.routePrefix.length);
    }
    if (!decision) {
      await ack();
      return;
    }
    let result: DecideResult;
    try {
      result = await decideTask(em(), { publicId: ref.publicId, decision, route, actor, expectedVersion: ref.version }, decideDeps);
    } catch (e) {
      log.error({ err: e, task: ref.publicId, decision }, 'task decision failed; nothing was changed');
      await ack();
      return ephemeral(client, channel, actor.id, ':warning: That failed and nothing was changed; please try again.');
    }
    await ack();
    if (result.ok) {
      log.info({ task: result.task.publicId, decision, actor: actor.id }, 'task decided in Slack');
      o.onCommitted?.();
    } else {
      if (result.code === 'not-allowed') log.warn({ task: ref.publicId, actor: actor.id, decision }, 'Slack user not on the allow-list');
      await ephemeral(client, channel, actor.id, failureText(result));
    }
  });

  app.view(VIEW_IDS.reject, async ({ ack, body, view }) => {
    const actor = actorOf(body.user as never);
    const meta = parseModalMeta(view.private_metadata);
    const reason = String(view.state.values[INPUT_IDS.reason]?.[INPUT_IDS.reason]?.value ?? '').trim();
    if (!meta) return void (await ack());
    if (!reason) return void (await ack({ response_action: 'errors', errors: { [INPUT_IDS.reason]: 'Please say why.' } }));
    let result: DecideResult;
    try {
      result = await decideTask(em(), { publicId: meta.publicId, decision: 'reject', reason, actor, expectedVersion: meta.version }, decideDeps);
    } catch (e) {
      log.error({ err: e, task: meta.publicId }, 'task rejection failed; nothing was changed');
      return void (await ack({ response_action: 'errors', errors: { [INPUT_IDS.reason]: 'That failed and nothing was changed; please try again.' } }));
    }
    if (!result.ok) return void (await ack({ response_action: 'errors', errors: { [INPUT_IDS.reason]: failureText(result).replace(/^:\w+: /, '') } }));
    await ack();
    log.info({ task: meta.publicId, actor: actor.id }, 'task rejected in Slack');
    o.onCommitted?.();
  });

  app.view(VIEW_IDS.reply, async ({ ack, body, view }) => {
    const actor = actorOf(body.user as never);
    const meta = parseModalMeta(view.private_metadata);
    const text = String(view.state.values[INPUT_IDS.replyText]?.[INPUT_IDS.replyText]?.value ?? '');
    if (!meta) return void (await ack());
    if (!cb.onReply) return void (await ack({ response_action: 'errors', errors: { [INPUT_IDS.replyText]: 'Replying is not set up.' } }));
    let result: DecideResult;
    try {
      result = await replyToTask(em(), { publicId: meta.publicId, actor, text, replyId: `slack-view:${view.id}` }, { approvers: o.approvers, onReply: cb.onReply });
    } catch (e) {
      log.error({ err: e, task: meta.publicId }, 'reply failed; nothing was sent');
      return void (await ack({ response_action: 'errors', errors: { [INPUT_IDS.replyText]: 'That failed and nothing was sent; please try again.' } }));
    }
    if (!result.ok) return void (await ack({ response_action: 'errors', errors: { [INPUT_IDS.replyText]: failureText(result).replace(/^:\w+: /, '') } }));
    await ack();
    o.onCommitted?.();
  });

  app.command('/mailroom', async ({ ack, command }) => {
    const arg = command.text.trim();
    if (!arg || /^help$/i.test(arg)) return void (await ack({ response_type: 'ephemeral', text: helpText() }));
    const id = arg.split(/\s+/)[0]!;
    let text: string | null = null;
    try {
      if (/^t-?\d+$/i.test(id)) {
        const task = await findTask(em(), parseTaskRef(id));
        text = task ? taskStatusText(task) : null;
      } else if (cb.describeRecord) {
        text = await cb.describeRecord(id.toUpperCase());
      }
    } catch (e) {
      log.error({ err: e, id }, '/mailroom lookup failed');
      return void (await ack({ response_type: 'ephemeral', text: ':warning: The lookup failed; please try again.' }));
    }
    await ack({ response_type: 'ephemeral', text: text ?? `No record ${id}. Try \`/mailroom help\`.` });
  });

  app.error(async (e) => {
    log.error({ err: e }, 'Slack listener error');
  });

  return {
    app,
    async start() {
      if (socketMode) await app.start();
      else await receiver!.start();
    },
    async stop() {
      if (socketMode) await app.stop();
      else await receiver!.stop();
    },
  };
}
