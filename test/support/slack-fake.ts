/**
 * A local fake of the Slack Web API for tests (`POST /api/<method>`, form or JSON bodies,
 * bearer token). Point the daemon at it with `SLACK_API_URL=fake.url` (ends with `/api/`,
 * as Bolt's `clientOptions.slackApiUrl` wants).
 *
 *   const slack = await startSlackFake();
 *   slack.failNext('chat.postMessage', 1, { status: 429, retryAfter: 1 });
 *   ... daemon posts ...
 *   expect(slack.callsTo('chat.postMessage')).toHaveLength(2);
 *   await slack.stop();
 *
 * Behaviour follows the real API where tests may depend on it: `conversations.history` returns
 * top-level messages newest first and includes `metadata` only with `include_all_metadata=true`;
 * `ts` values are unique and increasing ("1700000000.000100", "1700000000.000200", …).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type SlackMethod =
  | 'auth.test'
  | 'chat.postMessage'
  | 'chat.update'
  | 'chat.postEphemeral'
  | 'views.open'
  | 'views.update'
  | 'conversations.history'
  | 'conversations.info'
  | 'conversations.list'
  | 'apps.connections.open'
  | 'users.info';

export interface SlackFailure {
  /** HTTP status to answer with (429 gets `error: 'ratelimited'` unless `error` says otherwise). */
  status?: 500 | 429 | 503 | 400;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  /** Slack error code in `{ ok: false, error }` (HTTP 200 unless `status`; 'ratelimited' alone means 429). */
  error?: 'ratelimited' | 'channel_not_found' | 'not_in_channel' | 'invalid_auth' | 'internal_error' | (string & {});
  /** Wait this long before answering (alone: a slow but successful call). */
  delayMs?: number;
  /** Perform the call (e.g. store the message) and then answer with the failure: a lost response. */
  applied?: boolean;
}

export interface SlackCall {
  method: string;
  /** Parsed body: JSON body, or form fields with JSON-looking values (blocks, view, metadata…) parsed. */
  body: Record<string, unknown>;
  rawBody: string;
  headers: http.IncomingHttpHeaders;
  /** Bearer token (or `token` body field) used. */
  token?: string;
  time: Date;
  /** HTTP status answered. */
  status: number;
  /** JSON answered. */
  response: Record<string, unknown>;
}

export interface SlackMessage {
  type: 'message';
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown;
  attachments?: unknown;
  metadata?: unknown;
  thread_ts?: string;
  reply_broadcast?: boolean;
  user: string;
  bot_id: string;
  app_id: string;
  edited?: { user: string; ts: string };
}

export interface SlackView {
  id: string;
  external_id?: string;
  hash: string;
  trigger_id?: string;
  [key: string]: unknown;
}

export interface SlackUser {
  id: string;
  name: string;
  real_name?: string;
  email?: string;
  is_bot?: boolean;
  tz?: string;
}

/** A channel as conversations.info / conversations.list describe it. */
export interface SlackConversation {
  id: string;
  name: string;
  is_private?: boolean;
  /** Whether the bot is in it; default true. */
  is_member?: boolean;
  is_archived?: boolean;
}

export interface StartSlackFakeOptions {
  /** Accepted bot tokens; default: any non-empty token. */
  tokens?: string[];
  /** Known channel IDs; default: any channel. Others get `channel_not_found`. */
  channels?: string[];
  /** Known users for users.info; default: any ID gets a generated user. */
  users?: SlackUser[];
  /** First ts, in seconds; default 1700000000. */
  tsBase?: number;
  /**
   * Channels for conversations.info / conversations.list. Default: none listed, and
   * conversations.info describes any channel `channels` allows, with the bot as a member.
   */
  conversations?: SlackConversation[];
}

export interface SlackFake {
  port: number;
  /** `http://127.0.0.1:<port>/api/` */
  url: string;
  /** Every call, in arrival order. */
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** Messages posted (and updated) so far, oldest first; optionally of one channel. */
  messages(channel?: string): SlackMessage[];
  ephemerals: Array<{ channel: string; user: string; text?: string; blocks?: unknown; message_ts: string }>;
  views: Map<string, SlackView>;
  /** Fail the next `n` calls of `method` ('*' = any method) as described. */
  failNext(method: SlackMethod | '*' | (string & {}), n: number, failure: SlackFailure): void;
  /** Forget calls, messages, views and pending failures. */
  reset(): void;
  stop(): Promise<void>;
}

export const BOT = {
  user_id: 'U0MAILROOM',
  bot_id: 'B0MAILROOM',
  app_id: 'A0MAILROOM',
  team_id: 'T0INFRACOM',
  team: 'InfraComfort (test)',
  user: 'mailroom',
} as const;

/**
 * Signs a request body as Slack does: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{rawBody}`.
 * Returns the two headers to send along with the exact same body.
 */
export function signSlackRequest(
  body: string,
  secret: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): { 'x-slack-signature': string; 'x-slack-request-timestamp': string } {
  const ts = String(Math.floor(timestamp));
  const sig = crypto.createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${sig}`, 'x-slack-request-timestamp': ts };
}

/**
 * A signed interaction request (button click, view submission) as Slack POSTs it:
 * form-encoded `payload=<json>`, with content-type and signature headers.
 */
export function slackInteractionRequest(
  payload: unknown,
  secret: string,
  timestamp?: number,
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return {
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(body, secret, timestamp) },
  };
}

function tsKey(ts: string): bigint {
  const [s, f = ''] = ts.split('.');
  return BigInt(s || '0') * 1_000_000n + BigInt((f + '000000').slice(0, 6) || '0');
}

function maybeJson(v: string): unknown {
  const t = v.trim();
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      return JSON.parse(t);
    } catch {
      return v;
    }
  }
  return v;
}

function parseBody(raw: string, contentType: string | undefined, query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of query) out[k] = maybeJson(v);
  if (!raw) return out;
  if ((contentType ?? '').includes('application/json')) {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(out, parsed);
    return out;
  }
  for (const [k, v] of new URLSearchParams(raw)) out[k] = maybeJson(v);
  return out;
}

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
const bool = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

class SlackError extends Error {
  constructor(public code: string) {
    super(code);
  }
}

export async function startSlackFake(opts: StartSlackFakeOptions = {}): Promise<SlackFake> {
  const calls: SlackCall[] = [];
  let store: SlackMessage[] = [];
  const ephemerals: SlackFake['ephemerals'] = [];
  const views = new Map<string, SlackView>();
  let failures = new Map<string, SlackFailure[]>();
  const tsBase = BigInt(opts.tsBase ?? 1_700_000_000) * 1_000_000n;
  let tsCounter = 0n;
  let viewCounter = 0;
  const nextTs = () => {
    tsCounter += 100n;
    const v = tsBase + tsCounter;
    return `${v / 1_000_000n}.${String(v % 1_000_000n).padStart(6, '0')}`;
  };
  const userMap = new Map((opts.users ?? []).map((u) => [u.id, u]));

  const checkChannel = (channel: string | undefined): string => {
    if (!channel) throw new SlackError('channel_not_found');
    if (opts.channels && !opts.channels.includes(channel)) throw new SlackError('channel_not_found');
    return channel;
  };

  const handlers: Record<string, (b: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({
      url: 'https://infracomfort-test.slack.com/',
      team: BOT.team,
      user: BOT.user,
      team_id: BOT.team_id,
      user_id: BOT.user_id,
      bot_id: BOT.bot_id,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (b) => {
      const channel = checkChannel(str(b.channel));
      if (b.text === undefined && b.blocks === undefined && b.attachments === undefined) {
        throw new SlackError('no_text');
      }
      const msg: SlackMessage = {
        type: 'message',
        channel,
        ts: nextTs(),
        text: str(b.text),
        blocks: b.blocks,
        attachments: b.attachments,
        metadata: obj(b.metadata),
        thread_ts: str(b.thread_ts),
        reply_broadcast: b.reply_broadcast === undefined ? undefined : bool(b.reply_broadcast),
        user: BOT.user_id,
        bot_id: BOT.bot_id,
        app_id: BOT.app_id,
      };
      store.push(msg);
      const { channel: _c, ...message } = msg;
      return { channel, ts: msg.ts, message };
    },

    'chat.update': (b) => {
      const channel = checkChannel(str(b.channel));
      const ts = str(b.ts);
      const msg = store.find((m) => m.channel === channel && m.ts === ts);
      if (!msg) throw new SlackError('message_not_found');
      if (b.text !== undefined) msg.text = str(b.text);
      if (b.blocks !== undefined) msg.blocks = b.blocks;
      if (b.attachments !== undefined) msg.attachments = b.attachments;
      if (b.metadata !== undefined) msg.metadata = obj(b.metadata);
      msg.edited = { user: BOT.user_id, ts: nextTs() };
      const { channel: _c, ...message } = msg;
      return { channel, ts: msg.ts, text: msg.text ?? '', message };
    },

    'chat.postEphemeral': (b) => {
      const channel = checkChannel(str(b.channel));
      const user = str(b.user);
      if (!user) throw new SlackError('user_not_in_channel');
      if (b.text === undefined && b.blocks === undefined && b.attachments === undefined) {
        throw new SlackError('no_text');
      }
      const message_ts = nextTs();
      ephemerals.push({ channel, user, text: str(b.text), blocks: b.blocks, message_ts });
      return { message_ts };
    },

    'views.open': (b) => {
      const trigger = str(b.trigger_id) ?? str(b.interactivity_pointer);
      if (!trigger) throw new SlackError('invalid_arguments');
      const view = obj(typeof b.view === 'string' ? maybeJson(b.view) : b.view);
      if (!view) throw new SlackError('invalid_arguments');
      viewCounter++;
      const v: SlackView = {
        ...view,
        id: `V${String(viewCounter).padStart(8, '0')}`,
        team_id: BOT.team_id,
        state: { values: {} },
        hash: `${Date.now()}.${crypto.randomBytes(4).toString('hex')}`,
        trigger_id: trigger,
        bot_id: BOT.bot_id,
        app_id: BOT.app_id,
      };
      if (typeof view.external_id === 'string') v.external_id = view.external_id;
      views.set(v.id, v);
      return { view: v };
    },

    'views.update': (b) => {
      const viewId = str(b.view_id);
      const externalId = str(b.external_id);
      const existing = viewId
        ? views.get(viewId)
        : [...views.values()].find((v) => externalId !== undefined && v.external_id === externalId);
      if (!existing) throw new SlackError('not_found');
      const hash = str(b.hash);
      if (hash && hash !== existing.hash) throw new SlackError('hash_conflict');
      const view = obj(typeof b.view === 'string' ? maybeJson(b.view) : b.view);
      if (!view) throw new SlackError('invalid_arguments');
      const v: SlackView = {
        ...view,
        id: existing.id,
        external_id: existing.external_id,
        team_id: BOT.team_id,
        state: { values: {} },
        hash: `${Date.now()}.${crypto.randomBytes(4).toString('hex')}`,
        bot_id: BOT.bot_id,
        app_id: BOT.app_id,
      };
      views.set(v.id, v);
      return { view: v };
    },

    'conversations.history': (b) => {
      const channel = checkChannel(str(b.channel));
      const inclusive = bool(b.inclusive);
      const oldest = str(b.oldest);
      const latest = str(b.latest);
      const limit = Math.min(999, Math.max(1, Number(str(b.limit) ?? 100) || 100));
      const withMeta = bool(b.include_all_metadata);
      let list = store
        .filter((m) => m.channel === channel)
        .filter((m) => !m.thread_ts || m.thread_ts === m.ts || m.reply_broadcast)
        .filter((m) => {
          const k = tsKey(m.ts);
          if (oldest && (inclusive ? k < tsKey(oldest) : k <= tsKey(oldest))) return false;
          if (latest && (inclusive ? k > tsKey(latest) : k >= tsKey(latest))) return false;
          return true;
        })
        .sort((a, b2) => (tsKey(b2.ts) > tsKey(a.ts) ? 1 : -1));
      const cursor = str(b.cursor);
      const offset = cursor ? Number(Buffer.from(cursor, 'base64').toString('utf8').replace(/^offset:/, '')) || 0 : 0;
      const page = list.slice(offset, offset + limit);
      const hasMore = offset + limit < list.length;
      list = page;
      return {
        messages: list.map(({ channel: _c, metadata, ...m }) => (withMeta && metadata ? { ...m, metadata } : m)),
        has_more: hasMore,
        pin_count: 0,
        response_metadata: {
          next_cursor: hasMore ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '',
        },
      };
    },

    'conversations.info': (b) => {
      const channel = checkChannel(str(b.channel));
      const known = opts.conversations?.find((c) => c.id === channel);
      if (opts.conversations && !known) throw new SlackError('channel_not_found');
      const c = known ?? { id: channel, name: channel.toLowerCase() };
      // A bot sees a private channel only when it is in it.
      if (c.is_private && c.is_member === false) throw new SlackError('channel_not_found');
      return { channel: { id: c.id, name: c.name, is_channel: !c.is_private, is_private: !!c.is_private, is_member: c.is_member ?? true, is_archived: !!c.is_archived } };
    },

    'conversations.list': (b) => {
      const limit = Math.min(1000, Math.max(1, Number(str(b.limit) ?? 100) || 100));
      const cursor = str(b.cursor);
      const offset = cursor ? Number(Buffer.from(cursor, 'base64').toString('utf8').replace(/^offset:/, '')) || 0 : 0;
      const visible = (opts.conversations ?? []).filter((c) => !(c.is_private && c.is_member === false)).filter((c) => !(bool(b.exclude_archived) && c.is_archived));
      const page = visible.slice(offset, offset + limit);
      const hasMore = offset + limit < visible.length;
      return {
        channels: page.map((c) => ({ id: c.id, name: c.name, is_channel: !c.is_private, is_private: !!c.is_private, is_member: c.is_member ?? true, is_archived: !!c.is_archived })),
        response_metadata: { next_cursor: hasMore ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '' },
      };
    },

    'apps.connections.open': () => ({ url: 'wss://wss-primary.slack.com/link/?ticket=fake' }),

    'users.info': (b) => {
      const id = str(b.user);
      if (!id) throw new SlackError('user_not_found');
      let u = userMap.get(id);
      if (!u) {
        if (opts.users) throw new SlackError('user_not_found');
        u = { id, name: id.toLowerCase(), real_name: `Test User ${id}`, email: `${id.toLowerCase()}@infracomfort.example` };
      }
      return {
        user: {
          id: u.id,
          team_id: BOT.team_id,
          name: u.name,
          deleted: false,
          real_name: u.real_name ?? u.name,
          tz: u.tz ?? 'Europe/Oslo',
          is_bot: u.is_bot ?? false,
          profile: {
            real_name: u.real_name ?? u.name,
            display_name: u.name,
            email: u.email,
          },
        },
      };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, rawBody: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    const method = m?.[1] ?? url.pathname;
    let body: Record<string, unknown> = {};
    let parseError = false;
    try {
      body = parseBody(rawBody, req.headers['content-type'], url.searchParams);
    } catch {
      parseError = true;
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : str(body.token);

    const call: SlackCall = {
      method,
      body,
      rawBody,
      headers: req.headers,
      token,
      time: new Date(),
      status: 200,
      response: {},
    };
    calls.push(call);

    const send = (status: number, response: Record<string, unknown>, headers: Record<string, string> = {}) => {
      call.status = status;
      call.response = response;
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(response));
    };

    const queue = failures.get(method)?.length ? failures.get(method) : failures.get('*');
    const failure = queue?.shift();
    if (failure?.delayMs) await new Promise((r) => setTimeout(r, failure.delayMs));

    const perform = (): { status: number; response: Record<string, unknown> } => {
      if (!m) return { status: 404, response: { ok: false, error: 'unknown_method' } };
      if (parseError) return { status: 200, response: { ok: false, error: 'invalid_json' } };
      if (!token) return { status: 200, response: { ok: false, error: 'not_authed' } };
      if (opts.tokens && !opts.tokens.includes(token)) return { status: 200, response: { ok: false, error: 'invalid_auth' } };
      const h = handlers[method];
      if (!h) return { status: 200, response: { ok: false, error: 'unknown_method' } };
      try {
        return { status: 200, response: { ok: true, ...h(body) } };
      } catch (err) {
        if (err instanceof SlackError) return { status: 200, response: { ok: false, error: err.code } };
        return { status: 500, response: { ok: false, error: 'internal_error', detail: String(err) } };
      }
    };

    const isFailure = failure && (failure.status !== undefined || failure.error !== undefined);
    if (!isFailure) {
      const r = perform();
      send(r.status, r.response);
      return;
    }
    if (failure.applied) perform();
    const status = failure.status ?? (failure.error === 'ratelimited' ? 429 : 200);
    const error = failure.error ?? (status === 429 ? 'ratelimited' : 'internal_error');
    const headers: Record<string, string> = {};
    if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
    send(status, { ok: false, error }, headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopped = false;

  return {
    port,
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages: (channel) => store.filter((m) => channel === undefined || m.channel === channel),
    ephemerals,
    views,
    failNext(method, n, failure) {
      const q = failures.get(method) ?? [];
      for (let i = 0; i < n; i++) q.push({ ...failure });
      failures.set(method, q);
    },
    reset() {
      calls.length = 0;
      store = [];
      ephemerals.length = 0;
      views.clear();
      failures = new Map();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
