import { fail, httpDateSample, ok, warn, type Check, type CheckResult, type ClockSample } from './check.ts';
import { describeNetError } from './net-error.ts';

export interface SlackCheckOptions {
  botToken: string;
  /** Socket Mode's app-level token, when set. */
  appToken?: string;
  /** Web API base, ending in `/api/` (SLACK_API_URL; default Slack's). */
  apiUrl: string;
  /** slack.channels from the behaviour file: role → channel ID or #name. */
  channels: Record<string, string>;
  timeoutMs: number;
}

interface SlackAnswer {
  ok: boolean;
  error?: string;
  needed?: string;
  [k: string]: unknown;
}

interface Conversation {
  id: string;
  name?: string;
  is_member?: boolean;
  is_archived?: boolean;
}

const CHANNEL_ID = /^[CG][A-Z0-9]{6,}$/;
const LIST_PAGES = 20;

/**
 * Read-only Web API calls through fetch rather than Bolt's WebClient: the answer's Date header
 * is Slack's clock, which the clock check compares with ours, and WebClient does not show it.
 */
async function call(o: SlackCheckOptions, token: string, method: string, params: Record<string, string>, clock?: ClockSample[]): Promise<SlackAnswer> {
  const sentAt = Date.now();
  const res = await fetch(new URL(method, o.apiUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(o.timeoutMs),
  });
  if (clock) clock.push(...httpDateSample('Slack API Date header', res.headers.get('date'), sentAt, Date.now()));
  if (res.status === 429) return { ok: false, error: 'ratelimited' };
  const body = (await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }))) as SlackAnswer;
  return body;
}

function scopeHint(a: SlackAnswer): string {
  return a.error === 'missing_scope'
    ? `the token lacks the scope ${a.needed ?? '(see `mailroom slack manifest`)'}: add it from \`mailroom slack manifest\` and reinstall the app`
    : `Slack said ${a.error}`;
}

/** Finds a channel given by #name among the channels the bot can see (public, and private ones it is in). */
async function findByName(o: SlackCheckOptions, name: string): Promise<Conversation | SlackAnswer | undefined> {
  let cursor = '';
  for (let page = 0; page < LIST_PAGES; page++) {
    const a = await call(o, o.botToken, 'conversations.list', { types: 'public_channel,private_channel', exclude_archived: 'true', limit: '200', ...(cursor ? { cursor } : {}) });
    if (!a.ok) return a;
    const found = (a.channels as Conversation[] | undefined)?.find((c) => c.name === name);
    if (found) return found;
    cursor = (a.response_metadata as { next_cursor?: string } | undefined)?.next_cursor ?? '';
    if (!cursor) return undefined;
  }
  return undefined;
}

async function channelResult(o: SlackCheckOptions, bot: string, roles: string[], channel: string): Promise<CheckResult> {
  const check = `slack channel ${roles.join('/')} (${channel})`;
  const keys = roles.map((r) => `slack.channels.${r}`).join(', ');
  let conv: Conversation | undefined;
  if (CHANNEL_ID.test(channel)) {
    const a = await call(o, o.botToken, 'conversations.info', { channel });
    if (!a.ok) {
      return a.error === 'channel_not_found'
        ? fail(check, `no channel ${channel} visible to the bot: correct ${keys}, or invite @${bot} if it is private`)
        : fail(check, scopeHint(a));
    }
    conv = a.channel as Conversation;
  } else {
    const name = channel.replace(/^#/, '');
    const found = await findByName(o, name);
    if (found && 'ok' in found) return fail(check, scopeHint(found as SlackAnswer));
    if (!found) return fail(check, `no channel #${name} visible to the bot: create it, correct ${keys}, or invite @${bot} if it is private`);
    conv = found as Conversation;
  }
  if (conv.is_archived) return fail(check, `${channel} is archived: unarchive it or choose another channel for ${keys}`);
  if (!conv.is_member) return fail(check, `@${bot} is not a member of ${channel}: type /invite @${bot} in the channel`);
  const tip = CHANNEL_ID.test(channel) ? '' : ` (tip: write its ID ${conv.id} in ${keys}: a retried post is then found in the channel's history)`;
  return ok(check, `${conv.id}, @${bot} is a member${tip}`);
}

/** The bot token works (auth.test), each configured channel exists and has the bot in it. */
export function slackCheck(o: SlackCheckOptions): Check {
  return {
    name: 'slack',
    async run() {
      const clock: ClockSample[] = [];
      const results: CheckResult[] = [];
      let auth: SlackAnswer;
      try {
        auth = await call(o, o.botToken, 'auth.test', {}, clock);
      } catch (e) {
        return { results: [fail('slack auth', `cannot reach the Slack API at ${new URL(o.apiUrl).host} (${describeNetError(e)})`)] };
      }
      if (!auth.ok) {
        const why = ['invalid_auth', 'not_authed', 'token_revoked', 'account_inactive'].includes(auth.error ?? '')
          ? `the bot token was refused (${auth.error}): check SLACK_BOT_TOKEN (the Bot User OAuth Token, xoxb-…, from the app's OAuth page)`
          : `auth.test failed (${auth.error})`;
        return { results: [fail('slack auth', why)], clock };
      }
      const bot = String(auth.user ?? 'mailroom');
      results.push(ok('slack auth', `bot @${bot} in workspace ${String(auth.team ?? auth.team_id ?? '?')}`));
      if (o.appToken) {
        const a = await call(o, o.appToken, 'apps.connections.open', {}).catch((e) => ({ ok: false, error: describeNetError(e) }) as SlackAnswer);
        results.push(
          a.ok
            ? ok('slack socket mode', 'the app-level token may open a Socket Mode connection')
            : fail('slack socket mode', `SLACK_APP_TOKEN was refused (${a.error}): create an app-level token with connections:write (xapp-…) under Basic Information`),
        );
      }
      const byChannel = new Map<string, string[]>();
      for (const [role, channel] of Object.entries(o.channels)) byChannel.set(channel, [...(byChannel.get(channel) ?? []), role]);
      for (const [channel, roles] of byChannel) {
        results.push(await channelResult(o, bot, roles, channel).catch((e) => fail(`slack channel ${roles.join('/')} (${channel})`, `lookup failed: ${describeNetError(e)}`)));
      }
      return { results, clock };
    },
  };
}

export function slackOffResult(): CheckResult {
  return warn('slack', 'SLACK_BOT_TOKEN not set: Slack is off, staff tasks are handled with `mailroom tasks …`');
}
