import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.ts';
import { HttpError, hasBody } from './body.ts';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail?: string }>;
}

export interface HttpServerOptions {
  port: number;
  host: string;
  log: Logger;
  readiness: ReadinessCheck[];
  metricsText: () => Promise<{ contentType: string; body: string }>;
  /** Extra fields of the /healthz answer (which service and deployment answers). */
  health?: Record<string, unknown>;
}

/** Reply helpers that never leak internals: errors become a short status line. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * One port for everything HTTP: health, metrics, and the routes later concerns mount
 * (tracking, unsubscribe, Slack). Routes are matched by method and exact path.
 */
export class HttpServer {
  private readonly server: http.Server;
  private readonly routes = new Map<string, RouteHandler>();

  constructor(private readonly o: HttpServerOptions) {
    this.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok', ...o.health }));
    this.route('GET', '/readyz', async (_req, res) => {
      const results = await Promise.all(
        o.readiness.map(async (c) => {
          try {
            return { name: c.name, ...(await c.check()) };
          } catch (e) {
            return { name: c.name, ok: false, detail: (e as Error).message };
          }
        }),
      );
      const ok = results.every((r) => r.ok);
      sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks: results });
    });
    this.route('GET', '/metrics', async (_req, res) => {
      const { contentType, body } = await o.metricsText();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
    });
    this.server = http.createServer((req, res) => void this.handle(req, res));
    // Slow or stuck clients must not hold sockets forever.
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 15_000;
  }

  route(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendJson(res, 400, { error: 'bad request' });
    }
    const handler = this.routes.get(`${req.method} ${url.pathname}`);
    if (!handler) {
      const other = [...this.routes.keys()].some((k) => k.endsWith(` ${url.pathname}`));
      return sendJson(res, other ? 405 : 404, { error: other ? 'method not allowed' : 'not found' });
    }
    try {
      // Routes that read no body take none: a GET or HEAD with one is refused unread.
      if ((req.method === 'GET' || req.method === 'HEAD') && hasBody(req)) throw new HttpError(413, 'no body accepted here');
      await handler(req, res, url);
    } catch (e) {
      if (e instanceof HttpError) {
        // The client's mistake (or a flood): debug only, and no internals in the answer.
        this.o.log.debug({ status: e.status, reason: e.message, path: url.pathname }, 'refused a bad HTTP request');
        if (!res.headersSent) sendJson(res, e.status, { error: e.message });
        else res.destroy();
        return;
      }
      this.o.log.error({ err: e, path: url.pathname }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : this.o.port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
