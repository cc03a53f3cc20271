import { describe, expect, it } from 'vitest';
import { isAllowed, slackApproversSchema } from '../../src/tasks/approvers.ts';
import { ActionRegistry } from '../../src/tasks/action-registry.ts';
import { toDeliveryError } from '../../src/slack/slack-deliverer.ts';

const kari = { kind: 'slack' as const, id: 'U0KARI', name: 'kari' };
const ola = { kind: 'slack' as const, id: 'U0OLA', name: 'ola' };
const cliKari = { kind: 'cli' as const, id: 'Kari', name: 'Kari' };

describe('approver allow-list', () => {
  const cfg = slackApproversSchema.parse({ erasure: ['U0KARI'], 'data-export': ['@kari', 'U0OLA'], broadcast: ['*'] });

  it('matches Slack user IDs and names (case-insensitive, @ ignored), and * for anyone', () => {
    expect(isAllowed('erasure', kari, cfg)).toBe(true);
    expect(isAllowed('erasure', ola, cfg)).toBe(false);
    expect(isAllowed('data-export', kari, cfg)).toBe(true);
    expect(isAllowed('data-export', cliKari, cfg)).toBe(true);
    expect(isAllowed('erasure', cliKari, cfg)).toBe(false);
    expect(isAllowed('broadcast', ola, cfg)).toBe(true);
  });

  it('unlisted: plain work items are open, approvals and action kinds are closed', () => {
    expect(isAllowed('new-ticket', ola, cfg)).toBe(true);
    expect(isAllowed('triage', ola, cfg)).toBe(true);
    expect(isAllowed('approval', ola, cfg)).toBe(false);
    expect(isAllowed('notice-broadcast', ola, cfg)).toBe(false);
    expect(isAllowed('new-ticket', ola, slackApproversSchema.parse({ '*': ['U0KARI'] }))).toBe(false);
    expect(isAllowed('anything', kari, slackApproversSchema.parse({ '*': ['U0KARI'] }))).toBe(true);
    expect(slackApproversSchema.parse(undefined)).toEqual({});
    expect(slackApproversSchema.safeParse({ erasure: 'U0KARI' }).success).toBe(false);
  });

  it('registry refuses a second handler for the same action kind', () => {
    const r = new ActionRegistry().register('erasure', async () => {});
    expect(r.has('erasure')).toBe(true);
    expect(() => r.register('erasure', async () => {})).toThrow(/already registered/);
  });
});

describe('slack error classification', () => {
  it('429 waits Retry-After; 5xx and network errors retry; auth and channel errors are permanent', () => {
    const rl = toDeliveryError({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 }, 'x');
    expect(rl).toMatchObject({ permanent: false, retryAfterMs: 7000 });
    expect(toDeliveryError({ code: 'slack_webapi_http_error', statusCode: 500, headers: {} }, 'x').permanent).toBe(false);
    expect(toDeliveryError({ code: 'slack_webapi_request_error', original: new Error('timeout') }, 'x').permanent).toBe(false);
    expect(toDeliveryError({ code: 'slack_webapi_platform_error', data: { error: 'invalid_auth' } }, 'x').permanent).toBe(true);
    expect(toDeliveryError({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }, 'x').permanent).toBe(true);
    expect(toDeliveryError({ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } }, 'x').permanent).toBe(false);
  });
});
