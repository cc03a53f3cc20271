import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../logging/logger.ts';
import type { RouteHandler } from '../http/http-server.ts';
import { verifySlackSignature } from './verify-signature.ts';
import { FORM, HttpError, JSON_TYPE, bodyText, readBody } from '../http/body.ts';

export type MountRoute = (method: string, path: string, handler: RouteHandler) => void;

export interface MailroomReceiverOptions {
  signingSecret: string;
  /** HttpServer.route (bound): the receiver lives on the daemon's one HTTP port. */
  route: MountRoute;
  path?: string;
  log: Logger;
  /** Largest body accepted; Slack's payloads are far smaller. */
  bodyLimitBytes?: number;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Slack sends JSON (Events API), form `payload=<json>` (interactions) or plain form fields (slash commands). */
export function parseSlackBody(raw: string, contentType: string | undefined): Record<string, any> {
  if ((contentType ?? '').includes('application/json')) return JSON.parse(raw) as Record<string, any>;
  const form = new URLSearchParams(raw);
  const payload = form.get('payload');
  if (payload !== null) return JSON.parse(payload) as Record<string, any>;
  return Object.fromEntries(form);
}

/**
 * A Bolt receiver mounted as a route on our own HTTP server (no Express, no second port).
 * Every request is verified before anything is parsed or done: a missing, forged or stale
 * signature gets 401 and reaches no listener. The HTTP response is sent when the listener
 * calls `ack()` (listeners do their database work first, then ack).
 */
export class MailroomHttpReceiver implements Receiver {
  private app?: App;
  private running = false;

  constructor(private readonly o: MailroomReceiverOptions) {
    o.route('POST', o.path ?? '/slack/events', (req, res) => this.handle(req, res));
  }

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  private reply(res: ServerResponse, status: number, body?: unknown): void {
    if (res.headersSent) return;
    if (body === undefined || body === '') {
      res.writeHead(status, { 'content-length': 0 });
      res.end();
    } else if (typeof body === 'string') {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The exact bytes Slack signed: the signature is checked on them before anything is parsed.
    const raw = bodyText(req, await readBody(req, { limit: this.o.bodyLimitBytes ?? 1024 * 1024, types: [JSON_TYPE, FORM] }));
    const check = verifySlackSignature(this.o.signingSecret, raw, header(req, 'x-slack-signature'), header(req, 'x-slack-request-timestamp'));
    if (!check.ok) {
      this.o.log.warn({ reason: check.reason, ip: req.socket.remoteAddress }, 'refused a Slack request that failed verification');
      return this.reply(res, 401, { error: 'invalid signature' });
    }
    if (!this.running || !this.app) return this.reply(res, 503);

    let body: Record<string, any>;
    try {
      body = parseSlackBody(raw, header(req, 'content-type'));
    } catch {
      throw new HttpError(400, 'malformed Slack payload');
    }
    if (body.type === 'url_verification') return this.reply(res, 200, { challenge: body.challenge });
    if (body.ssl_check) return this.reply(res, 200);

    let acked = false;
    const event: ReceiverEvent = {
      body,
      retryNum: Number(header(req, 'x-slack-retry-num')) || undefined,
      retryReason: header(req, 'x-slack-retry-reason'),
      ack: async (response?: unknown) => {
        if (acked) return;
        acked = true;
        this.reply(res, 200, response);
      },
    };
    try {
      await this.app.processEvent(event);
      if (!acked) {
        acked = true;
        this.reply(res, 200);
      }
    } catch (e) {
      this.o.log.error({ err: e }, 'Slack event handling failed');
      if (!acked) {
        acked = true;
        this.reply(res, 500);
      }
    }
  }
}
