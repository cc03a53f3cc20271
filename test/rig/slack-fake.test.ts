import crypto from 'node:crypto';
import { isValidSlackRequest, webApi } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest, slackInteractionRequest, startSlackFake, type SlackFake } from '../support/slack-fake.ts';

const TOKEN = 'xoxb-test-token';

async function api(fake: SlackFake, method: string, body: Record<string, unknown>, form = false) {
  const res = await fetch(fake.url + method, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json; charset=utf-8',
    },
    body: form
      ? new URLSearchParams(
          Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        ).toString()
      : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

describe('slack fake', () => {
  let slack: SlackFake;
  beforeAll(async () => {
    slack = await startSlackFake({ tokens: [TOKEN] });
  });
  afterEach(() => slack.reset());
  afterAll(async () => {
    await slack?.stop();
  });

  it('serves the Web API to @slack/web-api (the client Bolt uses) and records calls', async () => {
    expect(slack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const client = new webApi.WebClient(TOKEN, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    const auth = await client.auth.test();
    expect(auth.ok).toBe(true);
    expect(auth.user_id).toBeTruthy();

    const a = await client.chat.postMessage({
      channel: 'C0PRIVACY',
      text: 'Innsynsbegjæring PRV-1',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*PRV-1*' } }],
      metadata: { event_type: 'mailroom_task', event_payload: { task_id: 'TASK-1' } },
    });
    const b = await client.chat.postMessage({ channel: 'C0PRIVACY', text: 'second' });
    expect(a.ts).toBe('1700000000.000100');
    expect(b.ts).toBe('1700000000.000200');
    expect(a.channel).toBe('C0PRIVACY');

    const call = slack.callsTo('chat.postMessage')[0];
    expect(call.token).toBe(TOKEN);
    expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call.body.metadata).toEqual({ event_type: 'mailroom_task', event_payload: { task_id: 'TASK-1' } });
    expect(call.body.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '*PRV-1*' } }]);
    expect(call.time).toBeInstanceOf(Date);

    await client.chat.update({ channel: 'C0PRIVACY', ts: a.ts!, text: 'Godkjent' });
    expect(slack.messages('C0PRIVACY')[0].text).toBe('Godkjent');

    // Reconciling a retried post: newest first, metadata with include_all_metadata.
    const hist = await client.conversations.history({ channel: 'C0PRIVACY', include_all_metadata: true, limit: 10 });
    expect(hist.messages?.map((m) => m.ts)).toEqual([b.ts, a.ts]);
    expect(hist.messages?.[1].metadata).toEqual({ event_type: 'mailroom_task', event_payload: { task_id: 'TASK-1' } });
    expect(hist.messages?.[1].text).toBe('Godkjent');
    const plain = await client.conversations.history({ channel: 'C0PRIVACY', oldest: a.ts });
    expect(plain.messages?.map((m) => m.ts)).toEqual([b.ts]);
    expect(plain.messages?.[0].metadata).toBeUndefined();

    const eph = await client.chat.postEphemeral({ channel: 'C0PRIVACY', user: 'U123', text: 'Bare for deg' });
    expect(eph.message_ts).toBeTruthy();
    const opened = await client.views.open({
      trigger_id: '123.456.abc',
      view: { type: 'modal', title: { type: 'plain_text', text: 'Avvis' }, blocks: [] },
    });
    expect(opened.view?.id).toMatch(/^V/);
    const updated = await client.views.update({
      view_id: opened.view!.id!,
      view: { type: 'modal', title: { type: 'plain_text', text: 'Avvist' }, blocks: [] },
    });
    expect(updated.view?.title?.text).toBe('Avvist');
    const user = await client.users.info({ user: 'U123' });
    expect(user.user?.id).toBe('U123');
    expect(user.user?.profile?.email).toContain('@');

    expect(slack.calls.map((c) => c.method)).toEqual([
      'auth.test',
      'chat.postMessage',
      'chat.postMessage',
      'chat.update',
      'conversations.history',
      'conversations.history',
      'chat.postEphemeral',
      'views.open',
      'views.update',
      'users.info',
    ]);
  });

  it('accepts form bodies with JSON-encoded fields, and refuses bad tokens', async () => {
    const r = await api(slack, 'chat.postMessage', { channel: 'C1', text: 'x', metadata: { event_type: 'e', event_payload: {} } }, true);
    expect(r.json.ok).toBe(true);
    expect(slack.calls[0].body.metadata).toEqual({ event_type: 'e', event_payload: {} });
    const bad = await fetch(slack.url + 'auth.test', { method: 'POST', headers: { authorization: 'Bearer nope' } });
    expect(await bad.json()).toEqual({ ok: false, error: 'invalid_auth' });
    const none = await fetch(slack.url + 'auth.test', { method: 'POST' });
    expect(await none.json()).toEqual({ ok: false, error: 'not_authed' });
    const upd = await api(slack, 'chat.update', { channel: 'C1', ts: '1.000000', text: 'y' });
    expect(upd.json).toEqual({ ok: false, error: 'message_not_found' });
  });

  it('fails with 429 + Retry-After, then succeeds', async () => {
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfter: 3 });
    const r1 = await api(slack, 'chat.postMessage', { channel: 'C1', text: 'x' });
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('3');
    expect(r1.json).toEqual({ ok: false, error: 'ratelimited' });
    const r2 = await api(slack, 'chat.postMessage', { channel: 'C1', text: 'x' });
    expect(r2.json.ok).toBe(true);
    expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(slack.messages('C1')).toHaveLength(1);
  });

  it('makes @slack/web-api see a rate limit', async () => {
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfter: 7 });
    const client = new webApi.WebClient(TOKEN, {
      slackApiUrl: slack.url,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    const err = (await client.chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e)) as {
      code?: string;
      retryAfter?: number;
    };
    expect(err.code).toBe(webApi.ErrorCode.RateLimitedError);
    expect(err.retryAfter).toBe(7);
  });

  it('fails with Slack errors, 500s, delays and lost responses', async () => {
    slack.failNext('chat.postMessage', 1, { error: 'channel_not_found' });
    slack.failNext('chat.postMessage', 1, { status: 500 });
    slack.failNext('chat.postMessage', 1, { status: 500, applied: true });
    slack.failNext('*', 1, { delayMs: 300 });
    expect((await api(slack, 'chat.postMessage', { channel: 'C1', text: 'x' })).json).toEqual({
      ok: false,
      error: 'channel_not_found',
    });
    expect((await api(slack, 'chat.postMessage', { channel: 'C1', text: 'x' })).status).toBe(500);
    expect(slack.messages('C1')).toHaveLength(0);
    expect((await api(slack, 'chat.postMessage', { channel: 'C1', text: 'lost' })).status).toBe(500);
    expect(slack.messages('C1').map((m) => m.text)).toEqual(['lost']); // posted, answer lost
    const t0 = Date.now();
    expect((await api(slack, 'auth.test', {})).json.ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });
});

describe('signSlackRequest', () => {
  it('matches an HMAC computed by hand and the published Slack example', () => {
    const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
    const secret = 'shhh-test-secret';
    const ts = 1_700_000_123;
    const byHand = 'v0=' + crypto.createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
    expect(signSlackRequest(body, secret, ts)).toEqual({
      'x-slack-signature': byHand,
      'x-slack-request-timestamp': String(ts),
    });

    // The example from Slack's "Verifying requests from Slack" documentation.
    const docBody =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest(docBody, '8f742231b10e8888abcd99yyyzzz85a5', 1531420618)['x-slack-signature']).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('is accepted by Bolt’s own verifier (and a tampered body is not)', () => {
    const { body, headers } = slackInteractionRequest({ type: 'block_actions', actions: [] }, 'sekret');
    const h = {
      'x-slack-signature': headers['x-slack-signature'],
      'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
    };
    expect(isValidSlackRequest({ signingSecret: 'sekret', body, headers: h })).toBe(true);
    expect(isValidSlackRequest({ signingSecret: 'sekret', body: body + 'x', headers: h })).toBe(false);
    expect(isValidSlackRequest({ signingSecret: 'other', body, headers: h })).toBe(false);
  });
});
