/**
 * The newsletter's HTTP edge: sign-up, opt-in confirmation, unsubscribe (RFC 8058), preferences,
 * view in browser, open pixel, click redirect, and the stats chart. Routes are exact paths with
 * the signed token in `t`. A GET never changes anything but tracking counters; a token that
 * does not verify gets an error page — never a redirect, never a change.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { RouteHandler } from '../http/http-server.ts';
import { verifyToken, readConfirmToken, signToken } from './tokens.ts';
import { truncateIp } from './ip.ts';
import { machineReason } from './machine.ts';
import { EventWriter, PIXEL_GIF } from './tracking.ts';
import { T, page, errorPage } from './pages.ts';
import { escapeHtml as esc } from '../http/escape-html.ts';
import type { Lang, NewsletterDeps } from './deps.ts';
import { allLists, confirmSubscription, findSubscriber, savePreferences, signUp, subscriptionsOf, unsubscribeAll } from './subscribers.ts';
import { campaignStats, findCampaign, viewHtml } from './campaigns.ts';
import { statsChartSvg } from './chart.ts';
import { statsChartPng } from './chart-png.ts';
import { FORM, FORM_LIMIT_BYTES, MULTIPART_FORM, readBody, readForm } from '../http/body.ts';

export interface NewsletterRoutesOptions {
  orm: Orm;
  deps: NewsletterDeps;
  log: Logger;
  /** Called after a commit that enqueued mail (to wake the outbox dispatcher). */
  onCommitted?: () => void;
}

type Route = (method: string, path: string, handler: RouteHandler) => void;

function langOf(req: IncomingMessage, url: URL, fallback?: string): Lang {
  const q = url.searchParams.get('lang');
  if (q === 'en' || q === 'nb') return q;
  if (fallback === 'en' || fallback === 'nb') return fallback;
  return /^en\b/i.test(req.headers['accept-language'] ?? '') ? 'en' : 'nb';
}

/**
 * The body of a POST that carries nothing we read (opt-in confirmation, RFC 8058 one-click
 * unsubscribe, whose senders may post multipart/form-data): checked for size and type, ignored.
 */
const readButtonPost = (req: IncomingMessage) => readBody(req, { limit: FORM_LIMIT_BYTES, types: [FORM, MULTIPART_FORM, 'text/plain'] });

function clientIp(req: IncomingMessage): string | undefined {
  return req.socket.remoteAddress;
}

export function mountNewsletterRoutes(route: Route, o: NewsletterRoutesOptions): { writer: EventWriter } {
  const { deps } = o;
  const secret = deps.secret;
  const writer = new EventWriter(o.orm.em.fork(), deps.config, secret);
  const links = new Map<string, string[]>();
  const tx = <T>(fn: (em: EntityManager) => Promise<T>) => o.orm.em.fork().transactional(fn);
  const now = () => deps.now?.() ?? new Date();
  const selfUrl = (url: URL, lang: Lang) => {
    const u = new URL(url.pathname + url.search, 'http://x');
    u.searchParams.set('lang', lang === 'nb' ? 'en' : 'nb');
    return u.pathname + u.search;
  };

  async function linksOf(campaignId: string): Promise<string[] | null> {
    let l = links.get(campaignId);
    if (!l) {
      const c = await findCampaign(o.orm.em.fork(), campaignId);
      if (!c) return null;
      l = c.links;
      links.set(campaignId, l);
    }
    return l;
  }

  const event = (req: IncomingMessage, kind: 'open' | 'click' | 'view', campaignId: string, subscriberId: string, linkIndex: number | null) => {
    const ip = clientIp(req);
    const reason = machineReason({ kind, method: req.method ?? 'GET', userAgent: req.headers['user-agent'], ip }, { openWindowSeconds: -1, clickWindowSeconds: -1 });
    return writer.add({ campaignId, subscriberId, kind, linkIndex, reason, ip: truncateIp(ip), at: now() });
  };

  // ---- tracking
  const pixel: RouteHandler = async (req, res, url) => {
    const f = verifyToken(secret, 'o', url.searchParams.get('t'), 2);
    if (!f) return errorPage(res, 'nb', 400);
    await event(req, 'open', f[0]!, f[1]!, null);
    res.writeHead(200, { 'content-type': 'image/gif', 'content-length': PIXEL_GIF.length, 'cache-control': 'no-store, private' });
    res.end(req.method === 'HEAD' ? undefined : PIXEL_GIF);
  };
  route('GET', '/newsletter/o', pixel);
  route('HEAD', '/newsletter/o', pixel);

  const click: RouteHandler = async (req, res, url) => {
    const f = verifyToken(secret, 'c', url.searchParams.get('t'), 3);
    const target = f ? (await linksOf(f[0]!))?.[Number(f[2])] : undefined;
    if (!f || !target || !/^https?:\/\//i.test(target)) return errorPage(res, langOf(req, url), 400);
    await event(req, 'click', f[0]!, f[1]!, Number(f[2]));
    res.writeHead(302, { location: target.replace(/&amp;/g, '&'), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end();
  };
  route('GET', '/newsletter/c', click);
  route('HEAD', '/newsletter/c', click);

  route('GET', '/newsletter/view', async (req, res, url) => {
    const f = verifyToken(secret, 'v', url.searchParams.get('t'), 2);
    if (!f) return errorPage(res, langOf(req, url), 400);
    const html = await viewHtml(o.orm.em.fork(), deps, f[0]!, f[1]!);
    if (!html) return errorPage(res, langOf(req, url), 404);
    await event(req, 'view', f[0]!, f[1]!, null);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The campaign's own images may live on the company's site; nothing runs, nothing is framed.
      'content-security-policy': "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    });
    res.end(html);
  });

  for (const format of ['svg', 'png'] as const) {
    route('GET', `/newsletter/chart.${format}`, async (_req, res, url) => {
      const f = verifyToken(secret, 's', url.searchParams.get('t'), 1);
      if (!f) return errorPage(res, 'en', 400);
      const stats = await campaignStats(o.orm.em.fork(), f[0]!);
      if (!stats) return errorPage(res, 'en', 404);
      if (format === 'png') {
        res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
        res.end(statsChartPng(stats));
        return;
      }
      res.writeHead(200, { 'content-type': 'image/svg+xml; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
      res.end(statsChartSvg(stats));
    });
  }

  // ---- sign-up
  const signupForm = async (res: ServerResponse, url: URL, lang: Lang, status = 200, message?: { text: string; error?: boolean }, values: { email?: string; name?: string; lists?: string[] } = {}) => {
    const t = T[lang];
    const lists = await allLists(o.orm.em.fork(), { publicOnly: true });
    const chosen = values.lists ?? (lists.length === 1 ? [lists[0]!.id] : []);
    page(
      res,
      status,
      lang,
      t.subscribeTitle,
      `${message ? `<p class="msg${message.error ? ' err' : ''}" role="${message.error ? 'alert' : 'status'}">${esc(message.text)}</p>` : ''}
<p>${esc(t.subscribeIntro)}</p>
<form method="post" action="/newsletter/subscribe?lang=${lang}">
<label for="email">${esc(t.email)}</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${esc(values.email ?? '')}">
<label for="name">${esc(t.name)}</label>
<input id="name" name="name" type="text" autocomplete="name" value="${esc(values.name ?? '')}">
<fieldset><legend>${esc(t.lists)}</legend>
${lists.map((l) => `<label class="check"><input type="checkbox" name="list" value="${esc(l.id)}"${chosen.includes(l.id) ? ' checked' : ''}> ${esc(lang === 'en' ? l.name_en : l.name_nb)}</label>`).join('\n')}
</fieldset>
<button type="submit">${esc(t.subscribe)}</button>
</form>
<p class="note">${esc(t.privacy)}</p>`,
      selfUrl(url, lang),
    );
  };

  route('GET', '/newsletter/subscribe', async (req, res, url) => signupForm(res, url, langOf(req, url)));
  route('POST', '/newsletter/subscribe', async (req, res, url) => {
    const lang = langOf(req, url);
    const form = await readForm(req);
    const email = (form.get('email') ?? '').trim();
    const name = (form.get('name') ?? '').trim().slice(0, 200);
    const public_ = new Set((await allLists(o.orm.em.fork(), { publicOnly: true })).map((l) => l.id));
    const listIds = form.getAll('list').filter((l) => public_.has(l));
    const result = await tx((em) => signUp(em, deps, { email, name, language: lang, listIds, source: 'web-form', ip: truncateIp(clientIp(req)) }));
    if ('error' in result) {
      return signupForm(res, url, lang, 400, { text: result.error === 'invalid-email' ? T[lang].invalidEmail : T[lang].noLists, error: true }, { email, name, lists: listIds });
    }
    o.onCommitted?.();
    // The same answer whether or not the address was known: the page reveals nothing about others.
    page(res, 200, lang, T[lang].checkInbox, `<p class="msg" role="status">${esc(T[lang].checkInboxText)}</p>`);
  });

  // ---- double opt-in: GET shows a button (scanners follow GETs), POST confirms
  const confirmPage = (res: ServerResponse, url: URL, lang: Lang) =>
    page(
      res,
      200,
      lang,
      T[lang].confirmTitle,
      `<p>${esc(T[lang].confirmText)}</p>
<form method="post" action="/newsletter/confirm?t=${esc(url.searchParams.get('t'))}&amp;lang=${lang}"><button type="submit">${esc(T[lang].confirmButton)}</button></form>`,
      selfUrl(url, lang),
    );
  route('GET', '/newsletter/confirm', async (req, res, url) => {
    const lang = langOf(req, url);
    const tok = readConfirmToken(secret, url.searchParams.get('t'), now());
    if (!tok) return errorPage(res, lang);
    if (tok === 'expired') return errorPage(res, lang, 410, T[lang].expired);
    confirmPage(res, url, lang);
  });
  route('POST', '/newsletter/confirm', async (req, res, url) => {
    const lang = langOf(req, url);
    await readButtonPost(req);
    const tok = readConfirmToken(secret, url.searchParams.get('t'), now());
    if (!tok) return errorPage(res, lang);
    if (tok === 'expired') return errorPage(res, lang, 410, T[lang].expired);
    const ok = await tx((em) => confirmSubscription(em, secret, tok.subscriberId, tok.listIds, truncateIp(clientIp(req))));
    if (!ok) return errorPage(res, lang);
    const prefs = `/newsletter/preferences?t=${signToken(secret, 'p', [tok.subscriberId])}&lang=${lang}`;
    page(res, 200, lang, T[lang].confirmedTitle, `<p class="msg" role="status">${esc(T[lang].confirmedText)}</p><p><a href="${esc(prefs)}">${esc(T[lang].prefsLink)}</a></p>`);
  });

  // ---- unsubscribe (RFC 8058): GET only shows the button; POST unsubscribes at once
  route('GET', '/newsletter/unsubscribe', async (req, res, url) => {
    const f = verifyToken(secret, 'u', url.searchParams.get('t'), 1);
    const lang = langOf(req, url);
    if (!f) return errorPage(res, lang);
    const t = T[lang];
    page(
      res,
      200,
      lang,
      t.unsubTitle,
      `<p>${esc(t.unsubText)}</p>
<form method="post" action="/newsletter/unsubscribe?t=${esc(url.searchParams.get('t'))}&amp;lang=${lang}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">${esc(t.unsubButton)}</button>
</form>
<p><a href="/newsletter/preferences?t=${esc(signToken(secret, 'p', [f[0]!]))}&amp;lang=${lang}">${esc(t.prefsLink)}</a></p>`,
      selfUrl(url, lang),
    );
  });
  route('POST', '/newsletter/unsubscribe', async (req, res, url) => {
    await readButtonPost(req);
    const f = verifyToken(secret, 'u', url.searchParams.get('t'), 1);
    const lang = langOf(req, url);
    if (!f) return errorPage(res, lang);
    const campaign = url.searchParams.get('c');
    const ok = await tx((em) => unsubscribeAll(em, secret, f[0]!, 'one-click', truncateIp(clientIp(req)), campaign && /^\d+$/.test(campaign) ? campaign : undefined));
    if (!ok) return errorPage(res, lang, 404);
    page(res, 200, lang, T[lang].unsubDoneTitle, `<p class="msg" role="status">${esc(T[lang].unsubDoneText)}</p>`);
  });

  // ---- preferences: lists, DO NOT TRACK, language
  const prefsPage = async (res: ServerResponse, url: URL, subscriberId: string, lang: Lang, saved: boolean) => {
    const em = o.orm.em.fork();
    const sub = await findSubscriber(em, { id: subscriberId });
    if (!sub) return errorPage(res, lang, 404);
    const t = T[lang];
    const lists = await allLists(em);
    const on = new Set((await subscriptionsOf(em, subscriberId)).filter((s) => s.status === 'confirmed').map((s) => s.list_id));
    page(
      res,
      200,
      lang,
      t.prefsTitle,
      `${saved ? `<p class="msg" role="status">${esc(t.saved)}</p>` : ''}
<p>${esc(sub.email)}</p>
<form method="post" action="/newsletter/preferences?t=${esc(url.searchParams.get('t'))}&amp;lang=${lang}">
<fieldset><legend>${esc(t.prefsLists)}</legend>
${lists.map((l) => `<label class="check"><input type="checkbox" name="list" value="${esc(l.id)}"${on.has(l.id) ? ' checked' : ''}> ${esc(lang === 'en' ? l.name_en : l.name_nb)}</label>`).join('\n')}
</fieldset>
<fieldset><legend>DO NOT TRACK</legend>
<label class="check"><input type="checkbox" name="dnt" value="1"${sub.dnt ? ' checked' : ''}> ${esc(t.dnt)}</label>
</fieldset>
<label for="language">${esc(t.language)}</label>
<select id="language" name="language"><option value="nb"${sub.language === 'nb' ? ' selected' : ''}>Norsk (bokmål)</option><option value="en"${sub.language === 'en' ? ' selected' : ''}>English</option></select>
<button type="submit">${esc(t.save)}</button>
</form>`,
      selfUrl(url, lang),
    );
  };
  route('GET', '/newsletter/preferences', async (req, res, url) => {
    const f = verifyToken(secret, 'p', url.searchParams.get('t'), 1);
    const lang = langOf(req, url);
    if (!f) return errorPage(res, lang);
    await prefsPage(res, url, f[0]!, lang, false);
  });
  route('POST', '/newsletter/preferences', async (req, res, url) => {
    const form = await readForm(req);
    const f = verifyToken(secret, 'p', url.searchParams.get('t'), 1);
    const lang = langOf(req, url);
    if (!f) return errorPage(res, lang);
    const all = new Set((await allLists(o.orm.em.fork())).map((l) => l.id));
    const language: Lang = form.get('language') === 'en' ? 'en' : 'nb';
    await tx((em) => savePreferences(em, secret, f[0]!, { listIds: form.getAll('list').filter((l) => all.has(l)), dnt: form.get('dnt') === '1', language }, truncateIp(clientIp(req))));
    await prefsPage(res, url, f[0]!, lang, true);
  });

  return { writer };
}
