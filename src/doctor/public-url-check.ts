import { fail, httpDateSample, ok, warn, type Check, type CheckResult, type ClockSample } from './check.ts';
import { describeNetError } from './net-error.ts';

export interface PublicUrlCheckOptions {
  publicUrl: string;
  /** This installation's fingerprint (deploymentFingerprint of MAILROOM_SECRET). */
  deployment: string;
  timeoutMs: number;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * GET PUBLIC_URL/healthz as a subscriber's mail client or Slack would reach it: it must answer,
 * be a Mailroom, and preferably one of this installation (same signing secret), or the links
 * in mail and the Slack buttons land somewhere that cannot verify them.
 */
export function publicUrlCheck(o: PublicUrlCheckOptions): Check {
  return {
    name: 'public url',
    async run() {
      const base = o.publicUrl.replace(/\/+$/, '');
      const target = `${base}/healthz`;
      const results: CheckResult[] = [];
      const clock: ClockSample[] = [];
      const sentAt = Date.now();
      let res: Response;
      try {
        res = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(o.timeoutMs) });
      } catch (e) {
        return { results: [fail('public url', `${target} does not answer (${describeNetError(e)}): links in mail and Slack's requests go there; check PUBLIC_URL, DNS and the proxy in front of HTTP_PORT`)] };
      }
      clock.push(...httpDateSample('PUBLIC_URL Date header', res.headers.get('date'), sentAt, Date.now()));
      const body = (await res.json().catch(() => undefined)) as { status?: string; service?: string; version?: string; deployment?: string } | undefined;
      if (res.status !== 200 || body?.status !== 'ok') {
        results.push(fail('public url', `${target} answered HTTP ${res.status}${body?.status ? ` (${body.status})` : ''}, not Mailroom's health: check that the proxy forwards to Mailroom's HTTP_PORT`));
      } else if (body.service !== 'mailroom') {
        results.push(warn('public url', `${target} answers but does not say it is Mailroom (an older version, or another service): check the proxy target`));
      } else if (body.deployment !== o.deployment) {
        results.push(warn('public url', `${target} is a Mailroom ${body.version ?? ''} of another installation (different MAILROOM_SECRET): links signed here would not verify there`));
      } else {
        results.push(ok('public url', `${target} answers: Mailroom ${body.version ?? ''} of this installation`));
      }
      const host = new URL(base).hostname;
      if (new URL(base).protocol !== 'https:' && !LOOPBACK.test(host)) {
        results.push(warn('public url tls', `PUBLIC_URL is not https: Slack only sends to https request URLs, and mail clients warn about plain links`));
      }
      return { results, clock };
    },
  };
}

export function publicUrlUnsetResult(httpPort: number): CheckResult {
  return warn('public url', `PUBLIC_URL not set: links in mail point to http://localhost:${httpPort} and Slack cannot reach /slack/events; set it to the https address of this service`);
}
