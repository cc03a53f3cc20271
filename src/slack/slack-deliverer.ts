import { webApi } from '@slack/bolt';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import type { ClaimedRow, Deliverer, DeliveryResult } from '../outbox/deliverer.ts';
import { DeliveryError } from '../queue/delivery-error.ts';
import { refundAttempt } from '../outbox/outbox-store.ts';
import { findTask, taskAudit } from '../tasks/task-service.ts';
import { earlierPostWaiting, recordSlackPost, slackPostOf } from '../tasks/task-store.ts';
import type { TaskRecord } from '../tasks/task-types.ts';
import { taskMessage, type Block, type TaskActivity } from './block-kit.ts';

export interface SlackDelivererOptions {
  orm: MikroORM;
  token: string;
  /** SLACK_API_URL (ends with `/api/`); default Slack's own. */
  apiUrl?: string;
  log: Logger;
  /** Per-call timeout; a timed-out post is reconciled on its retry. Default 10 s. */
  timeoutMs?: number;
  /** How many pages of conversations.history (100 messages each) a reconcile looks through. Default 3. */
  reconcilePages?: number;
  /** Delay before a row waiting on an earlier post (same record, or its own post for an update) is tried again. Default 1 s. */
  waitRetryMs?: number;
}

const PERMANENT_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_arguments',
  'invalid_metadata_format',
  'invalid_metadata_schema',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'user_not_found',
  'user_not_in_channel',
  'restricted_action',
  'ekm_access_denied',
  'team_access_not_granted',
]);

/** Translates a @slack/web-api error into what the outbox needs: retry or not, and when. */
export function toDeliveryError(e: unknown, what: string): DeliveryError {
  const err = e as { code?: string; retryAfter?: number; statusCode?: number; headers?: Record<string, string>; data?: { error?: string }; message?: string };
  switch (err?.code) {
    case 'slack_webapi_rate_limited_error':
      return new DeliveryError(`${what}: rate limited by Slack`, false, Math.max(1, Number(err.retryAfter) || 1) * 1000);
    case 'slack_webapi_platform_error': {
      const code = err.data?.error ?? 'unknown_error';
      if (code === 'ratelimited') return new DeliveryError(`${what}: rate limited by Slack`, false, 1000);
      return new DeliveryError(`${what}: Slack said ${code}`, PERMANENT_ERRORS.has(code));
    }
    case 'slack_webapi_http_error': {
      const status = Number(err.statusCode);
      const retryAfter = Number(err.headers?.['retry-after']);
      const temporary = status >= 500 || status === 408 || status === 429;
      return new DeliveryError(`${what}: HTTP ${status} from Slack`, !temporary, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
    }
    case 'slack_webapi_request_error':
      return new DeliveryError(`${what}: Slack not reachable (${(err as { original?: Error }).original?.message ?? 'request failed'})`, false);
    default:
      return new DeliveryError(`${what}: ${err?.message ?? String(e)}`, false);
  }
}

const SYSTEM = { kind: 'system', id: 'slack-deliverer', name: 'Mailroom' } as const;

/**
 * Delivers outbox rows of channel 'slack'. The outbox owns retries: the Web API client neither
 * retries nor waits out rate limits itself.
 *
 * Payloads:
 *  - {op: 'post', taskId, channel, text, blocks, metadata} → chat.postMessage (rendered from the
 *    task's current state), then the channel id and ts are stored on the task. A retry of a post
 *    that may have landed (in doubt, or not the first attempt) first looks for the message in
 *    conversations.history by its metadata and adopts it instead of posting twice.
 *  - {op: 'update', taskId} → chat.update of the task's message with its current state; before
 *    the post has landed it fails temporarily and is retried.
 *  - {op: 'ephemeral', channel, user, text, blocks?} → chat.postEphemeral.
 *  - {op: 'message', channel, text, blocks?, threadTs?} → chat.postMessage (notices without a task).
 */
export class SlackDeliverer implements Deliverer {
  readonly client: InstanceType<typeof webApi.WebClient>;
  /** Channel names ('#support') resolved to ids by earlier posts, for conversations.history. */
  private readonly channelIds = new Map<string, string>();

  constructor(private readonly o: SlackDelivererOptions) {
    this.client = new webApi.WebClient(o.token, {
      slackApiUrl: o.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: o.timeoutMs ?? 10_000,
      logLevel: webApi.LogLevel.ERROR,
    });
  }

  /**
   * A 429 is Slack telling this whole app to wait, not one message: until the Retry-After has
   * passed, every row is held back (without using up its attempts) instead of calling Slack.
   */
  private pausedUntil = 0;

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      await refundAttempt(this.o.orm.em.fork(), row.id);
      throw new DeliveryError('Slack rate limit in force', false, wait);
    }
    try {
      return await this.deliverNow(row);
    } catch (e) {
      if (e instanceof DeliveryError && /rate limited|HTTP 429/.test(e.message) && e.retryAfterMs) {
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + e.retryAfterMs);
      }
      throw e;
    }
  }

  private async deliverNow(row: ClaimedRow): Promise<DeliveryResult> {
    const p = row.payload;
    switch (p.op) {
      case 'post':
        return this.post(row);
      case 'update':
        return this.update(row);
      case 'ephemeral':
        try {
          const r = await this.client.chat.postEphemeral({ channel: String(p.channel), user: String(p.user), text: String(p.text ?? ''), blocks: p.blocks as Block[] | undefined } as never);
          return { result: { messageTs: r.message_ts } };
        } catch (e) {
          throw toDeliveryError(e, 'chat.postEphemeral');
        }
      case 'message':
        try {
          const r = await this.client.chat.postMessage({ channel: String(p.channel), text: String(p.text ?? ''), blocks: p.blocks as Block[] | undefined, thread_ts: p.threadTs as string | undefined, unfurl_links: false, unfurl_media: false } as never);
          return { result: { channel: r.channel, ts: r.ts } };
        } catch (e) {
          throw toDeliveryError(e, 'chat.postMessage');
        }
      default:
        throw new DeliveryError(`unknown slack op '${String(p.op)}'`, true);
    }
  }

  private async load(taskId: string): Promise<{ task: TaskRecord; activity: TaskActivity[] }> {
    const em = this.o.orm.em.fork();
    const task = await findTask(em, { taskId });
    if (!task) throw new DeliveryError(`task ${taskId} does not exist`, true);
    const activity = (await taskAudit(em, task.id)).map((a) => ({ at: a.at, actorName: a.actorName, action: a.action, detail: a.detail }));
    return { task, activity };
  }

  private async post(row: ClaimedRow): Promise<DeliveryResult> {
    const taskId = String(row.payload.taskId);
    const { task, activity } = await this.load(taskId);
    if (task.slackTs) return { result: { channel: task.slackChannelId, ts: task.slackTs, alreadyPosted: true } };
    await this.waitForEarlierPosts(row, task);

    const channel = task.channel;
    if (row.inDoubt || row.attempts > 1) {
      const found = await this.findPosted(task);
      if (found) {
        await this.storePosted(task, found.channel, found.ts, true);
        this.o.log.info({ task: task.publicId, ts: found.ts }, 'slack post had landed; adopted instead of posting again');
        return { result: { channel: found.channel, ts: found.ts, reconciled: true } };
      }
    }
    const { text, blocks } = taskMessage(task, activity);
    let res: { channel?: string; ts?: string };
    try {
      res = await this.client.chat.postMessage({
        channel,
        text,
        blocks,
        metadata: { event_type: 'mailroom_task', event_payload: { task_id: task.publicId } },
        unfurl_links: false,
        unfurl_media: false,
      } as never);
    } catch (e) {
      throw toDeliveryError(e, 'chat.postMessage');
    }
    const channelId = res.channel ?? channel;
    this.channelIds.set(channel, channelId);
    // Slack has the message now: if this write fails, the retry finds it in the history.
    await this.storePosted(task, channelId, res.ts!, false);
    return { result: { channel: channelId, ts: res.ts } };
  }

  /**
   * Posts for the same record go out in the order their tasks were created: while an earlier
   * task of the record still waits for its post, this one waits too. The wait is not counted
   * as a failed attempt.
   */
  private async waitForEarlierPosts(row: ClaimedRow, task: TaskRecord): Promise<void> {
    if (!task.recordRef) return;
    const em = this.o.orm.em.fork();
    const earlier = await earlierPostWaiting(em, task.recordRef, task.id);
    if (!earlier) return;
    await refundAttempt(em, row.id);
    const wait = Math.max(this.o.waitRetryMs ?? 1000, new Date(earlier.next_attempt_at).getTime() - Date.now() + 200);
    throw new DeliveryError(`waiting for an earlier task of ${task.recordRef} to be posted`, false, wait);
  }

  /** Looks for this task's message among the channel's recent messages (by its metadata). */
  private async findPosted(task: TaskRecord): Promise<{ channel: string; ts: string } | null> {
    const channel = this.channelIds.get(task.channel) ?? task.channel;
    // Generous margin: Slack's clock and the database's need not agree.
    const oldest = String(Math.floor(task.createdAt.getTime() / 1000) - 600);
    let cursor: string | undefined;
    for (let page = 0; page < (this.o.reconcilePages ?? 3); page++) {
      let res: { messages?: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }[]; has_more?: boolean; response_metadata?: { next_cursor?: string } };
      try {
        res = (await this.client.conversations.history({ channel, oldest, limit: 100, include_all_metadata: true, cursor } as never)) as never;
      } catch (e) {
        const d = toDeliveryError(e, 'conversations.history');
        if (d.permanent && channel.startsWith('#')) {
          // History needs a channel id; with a channel name and no earlier post to learn the id
          // from, the best left is to post (configure channel ids to close this gap).
          this.o.log.warn({ task: task.publicId, channel }, 'cannot reconcile a Slack post by channel name; posting');
          return null;
        }
        throw d;
      }
      const hit = res.messages?.find((m) => m.metadata?.event_type === 'mailroom_task' && m.metadata.event_payload?.task_id === task.publicId);
      if (hit?.ts) return { channel, ts: hit.ts };
      cursor = res.response_metadata?.next_cursor;
      if (!res.has_more || !cursor) break;
    }
    return null;
  }

  private async storePosted(task: TaskRecord, channelId: string, ts: string, reconciled: boolean): Promise<void> {
    try {
      await this.o.orm.em.fork().transactional(async (em) => {
        await recordSlackPost(em, task.id, { channelId, ts }, SYSTEM, { channel: channelId, ts, ...(reconciled ? { reconciled: true } : {}) });
      });
    } catch (e) {
      throw new DeliveryError(`posted to Slack but could not record it: ${(e as Error).message}`, false);
    }
  }

  private async update(row: ClaimedRow): Promise<DeliveryResult> {
    const { task, activity } = await this.load(String(row.payload.taskId));
    if (!task.slackTs || !task.slackChannelId) {
      const em = this.o.orm.em.fork();
      const post = await slackPostOf(em, task.id);
      if (!post || (post.status !== 'pending' && post.status !== 'sending')) {
        throw new DeliveryError(`task ${task.publicId} was never posted to Slack (post ${post?.status ?? 'missing'})`, true);
      }
      // Waiting for our own post is not a failed attempt.
      await refundAttempt(em, row.id);
      const wait = Math.max(this.o.waitRetryMs ?? 1000, new Date(post.next_attempt_at).getTime() - Date.now() + 200);
      throw new DeliveryError(`task ${task.publicId} is not posted yet; updating after the post lands`, false, wait);
    }
    const { text, blocks } = taskMessage(task, activity);
    try {
      await this.client.chat.update({ channel: task.slackChannelId, ts: task.slackTs, text, blocks } as never);
    } catch (e) {
      throw toDeliveryError(e, 'chat.update');
    }
    return { result: { channel: task.slackChannelId, ts: task.slackTs, version: task.version } };
  }
}
