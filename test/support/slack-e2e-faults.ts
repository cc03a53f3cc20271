/**
 * A fault window in front of the Slack fake, for outages measured in time rather than in calls
 * ("Slack answers 500 for a minute, then 429 with Retry-After, then recovers"). The daemon's
 * SLACK_API_URL points here; every request is passed to the fake unchanged unless a fault is
 * set for its method, in which case the proxy answers itself and the fake never sees the call.
 *
 *   const faults = await startSlackFaultProxy(fake.url);
 *   faults.set('chat.postMessage', { status: 500 });              // from now on
 *   faults.set('chat.postMessage', { status: 429, retryAfter: 1 });
 *   faults.set('chat.postMessage', null);                         // recovered
 *   faults.faulted  // what was refused, with the task id of each post
 *
 * Loopback only; stop() closes every connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackFault {
  status: 500 | 503 | 429;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
}

export interface ProxiedCall {
  method: string;
  at: number;
  /** The task a chat.postMessage is for (from its metadata), when there is one. */
  taskPublicId?: string;
  /** 'passed' (answered by the fake) or the status the proxy answered with. */
  outcome: 'passed' | number;
}

export interface SlackFaultProxy {
  /** `http://127.0.0.1:<port>/api/` */
  url: string;
  /** Every call seen, in arrival order. */
  calls: ProxiedCall[];
  /** The calls the proxy refused. */
  readonly faulted: ProxiedCall[];
  set(method: string, fault: SlackFault | null): void;
  stop(): Promise<void>;
}

function taskIdOf(raw: string, contentType: string | undefined): string | undefined {
  try {
    let metadata: unknown;
    if ((contentType ?? '').includes('application/json')) metadata = (JSON.parse(raw) as { metadata?: unknown }).metadata;
    else {
      const m = new URLSearchParams(raw).get('metadata');
      metadata = m ? JSON.parse(m) : undefined;
    }
    const id = (metadata as { event_payload?: { task_id?: unknown } } | undefined)?.event_payload?.task_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export async function startSlackFaultProxy(targetUrl: string): Promise<SlackFaultProxy> {
  const target = new URL(targetUrl);
  const faults = new Map<string, SlackFault>();
  const calls: ProxiedCall[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = /\/api\/([A-Za-z0-9_.]+)$/.exec(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)?.[1] ?? String(req.url);
      const call: ProxiedCall = { method, at: Date.now(), outcome: 'passed' };
      if (method === 'chat.postMessage') call.taskPublicId = taskIdOf(body.toString('utf8'), req.headers['content-type']);
      calls.push(call);
      const fault = faults.get(method);
      if (fault) {
        call.outcome = fault.status;
        const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
        res.writeHead(fault.status, headers);
        res.end(JSON.stringify({ ok: false, error: fault.status === 429 ? 'ratelimited' : 'internal_error' }));
        return;
      }
      const headers = { ...req.headers, host: target.host };
      delete headers['content-length'];
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...headers, 'content-length': String(body.length) } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });

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
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    get faulted() {
      return calls.filter((c) => c.outcome !== 'passed');
    },
    set(method, fault) {
      if (fault) faults.set(method, fault);
      else faults.delete(method);
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
