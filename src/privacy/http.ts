/**
 * The two public links: verification (`/privacy/verify`) and the one-time package download
 * (`/privacy/package`). A GET only shows a page with a button; the token is consumed by the
 * POST, so a mail scanner that prefetches links cannot use them up. Tokens are looked up by
 * their hash; responses never say whose case it is.
 */
import { escapeHtml as esc } from '../http/escape-html.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Orm } from '../db/orm.ts';
import { peekToken, consumeToken } from './tokens.ts';
import { findCase, verifyWithToken, audit, type PrivacyDeps } from './case-service.ts';
import { setRightState } from './case-store.ts';
import { subjectKeys } from './subject.ts';
import { buildAccessPackage, renderPackageHtml } from './access-package.ts';
import { readForm } from '../http/body.ts';

type Route = (method: string, path: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void) => void;

const HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
};

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto">${body}</body></html>`);
}

/** The token of the confirm/download button's form; a body past the form limit is refused (413), never cut. */
async function formToken(req: IncomingMessage): Promise<string> {
  return (await readForm(req)).get('t') ?? '';
}

const FAILED = 'Denne lenken virker ikke lenger (brukt eller utløpt). / This link no longer works (used or expired).';

export function mountPrivacyRoutes(route: Route, o: { orm: Orm; deps: PrivacyDeps; onCommitted?: () => void }): void {
  route('GET', '/privacy/verify', async (_req, res, url) => {
    const t = url.searchParams.get('t') ?? '';
    if (!(await peekToken(o.orm.em.fork(), t, 'verify', o.deps.clock.now()))) return page(res, 410, 'Mailroom', `<p>${FAILED}</p>`);
    page(res, 200, 'Bekreft / Confirm', `<h1>Bekreft forespørselen / Confirm your request</h1><form method="post" action="/privacy/verify"><input type="hidden" name="t" value="${esc(t)}"><button type="submit">Ja, det var meg / Yes, it was me</button></form>`);
  });
  route('POST', '/privacy/verify', async (req, res) => {
    const t = await formToken(req);
    const r = await o.orm.em.fork().transactional((em) => verifyWithToken(em, t, o.deps));
    if (!r.ok) return page(res, 410, 'Mailroom', `<p>${FAILED}</p>`);
    o.onCommitted?.();
    page(res, 200, 'Takk / Thank you', `<p>Takk, forespørselen ${esc(r.ref ?? '')} er bekreftet. / Thank you, request ${esc(r.ref ?? '')} is confirmed.</p>`);
  });
  route('GET', '/privacy/package', async (_req, res, url) => {
    const t = url.searchParams.get('t') ?? '';
    if (!(await peekToken(o.orm.em.fork(), t, 'package', o.deps.clock.now()))) return page(res, 410, 'Mailroom', `<p>${FAILED}</p>`);
    page(res, 200, 'Last ned / Download', `<p>Lenken virker én gang. / The link works once.</p><form method="post" action="/privacy/package"><input type="hidden" name="t" value="${esc(t)}"><button type="submit">Last ned / Download</button></form>`);
  });
  route('POST', '/privacy/package', async (req, res, url) => {
    const t = await formToken(req);
    const format = url.searchParams.get('format') === 'json' ? 'json' : 'html';
    const result = await o.orm.em.fork().transactional(async (em) => {
      const r = await consumeToken(em, t, 'package', o.deps.clock.now());
      if (!r.ok) return null;
      const kase = (await findCase(em, { id: r.caseId }))!;
      const pkg = await buildAccessPackage(em, { keys: await subjectKeys(em, kase.subject_email), config: o.deps.config, language: kase.language as 'nb', now: o.deps.clock.now(), coverage: o.deps.coverage });
      if (r.rightId) await setRightState(em, r.rightId, 'completed');
      await audit(em, kase.id, { kind: 'subject', id: 'link', name: 'the person (download link)' }, 'package-downloaded', { records: pkg.totalRecords, format }, r.rightId);
      return pkg;
    });
    if (!result) return page(res, 410, 'Mailroom', `<p>${FAILED}</p>`);
    const json = JSON.stringify(result, null, 2);
    if (format === 'json') {
      res.writeHead(200, { ...HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Disposition': 'attachment; filename="personopplysninger.json"' });
      return void res.end(json);
    }
    // One download holds both: the readable page, with the JSON inside it as a file link.
    const html = renderPackageHtml(result).replace(
      '</body>',
      `<p><a download="personopplysninger.json" href="data:application/json;base64,${Buffer.from(json).toString('base64')}">JSON</a></p><script type="application/json" id="data">${json.replace(/</g, '\\u003c')}</script></body>`,
    );
    res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Disposition': 'attachment; filename="personopplysninger.html"' });
    res.end(html);
  });
}
