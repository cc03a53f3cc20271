/**
 * Campaign rendering. A template is prepared once (CSS inlined with juice, static links
 * numbered, a footer with unsubscribe and preferences links added when missing, a pixel slot);
 * each recipient's copy is then one handlebars call and one string substitution, so rendering
 * never slows the sender down.
 */
import Handlebars from 'handlebars';
import juice from 'juice';
import { signToken } from './tokens.ts';
import type { OutgoingEmail } from '../outbox/outgoing-email.ts';
import type { Lang } from './deps.ts';

const LINK = /\bhref\s*=\s*"(https?:\/\/[^"{}\s]+)"/gi;
const SLOT = /__MR_LINK_(\d+)__/g;
const PIXEL = '__MR_PIXEL__';

const FOOTER: Record<Lang, string> = {
  nb: `<hr style="border:0;border-top:1px solid #ddd;margin:24px 0 12px"><p style="font-size:12px;color:#555">Du får denne e-posten fordi du abonnerer på {{org_name}} sitt nyhetsbrev. <a href="{{{view_url}}}" style="color:#555">Vis i nettleser</a> · <a href="{{{preferences_url}}}" style="color:#555">Innstillinger og sporing</a> · <a href="{{{unsubscribe_url}}}" style="color:#555">Meld meg av</a></p>`,
  en: `<hr style="border:0;border-top:1px solid #ddd;margin:24px 0 12px"><p style="font-size:12px;color:#555">You receive this email because you subscribe to the {{org_name}} newsletter. <a href="{{{view_url}}}" style="color:#555">View in browser</a> · <a href="{{{preferences_url}}}" style="color:#555">Preferences and tracking</a> · <a href="{{{unsubscribe_url}}}" style="color:#555">Unsubscribe</a></p>`,
};

const TEXT_FOOTER: Record<Lang, string> = {
  nb: '\n\n--\nVis i nettleser: {{view_url}}\nInnstillinger og sporing: {{preferences_url}}\nMeld meg av: {{unsubscribe_url}}\n',
  en: '\n\n--\nView in browser: {{view_url}}\nPreferences and tracking: {{preferences_url}}\nUnsubscribe: {{unsubscribe_url}}\n',
};

export interface PreparedTemplate {
  html: string;
  links: string[];
}

export function prepareTemplate(templateHtml: string, lang: Lang): PreparedTemplate {
  let html = juice(templateHtml, { removeStyleTags: true, applyWidthAttributes: true });
  if (!html.includes('{{unsubscribe_url}}')) {
    html = /<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${FOOTER[lang]}</body>`) : html + FOOTER[lang];
  }
  const links: string[] = [];
  html = html.replace(LINK, (_m, url: string) => {
    let i = links.indexOf(url);
    if (i < 0) i = links.push(url) - 1;
    return `href="__MR_LINK_${i}__"`;
  });
  html = /<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${PIXEL}</body>`) : html + PIXEL;
  return { html, links };
}

/** A readable plain-text alternative from HTML: links become "text (url)". */
export function htmlToText(html: string): string {
  return html
    .replace(/<(style|script|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_m, href: string, text: string) => {
      const t = text.replace(/<[^>]+>/g, '').trim();
      return t && t !== href ? `${t} (${href})` : href;
    })
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table)>/gi, '\n\n')
    .replace(/<li[^>]*>/gi, '- ')
    .replace(/<hr[^>]*>/gi, '\n--\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export interface CampaignForRender {
  id: string;
  subject: string;
  language: Lang;
  preparedHtml: string;
  templateText: string | null;
  links: string[];
}

export interface CompiledCampaign {
  c: CampaignForRender;
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
  subject: Handlebars.TemplateDelegate;
}

export function compileCampaign(c: CampaignForRender): CompiledCampaign {
  const textSource = (c.templateText ?? htmlToText(c.preparedHtml.replace(PIXEL, '').replace(SLOT, (_m, i) => c.links[Number(i)] ?? ''))) + (c.templateText?.includes('{{unsubscribe_url}}') ? '' : TEXT_FOOTER[c.language]);
  return {
    c,
    html: Handlebars.compile(c.preparedHtml),
    text: Handlebars.compile(textSource, { noEscape: true }),
    subject: Handlebars.compile(c.subject, { noEscape: true }),
  };
}

export interface RecipientForRender {
  subscriberId: string;
  email: string;
  name: string | null;
  /** DO NOT TRACK: no pixel, no rewritten links. */
  dnt: boolean;
}

export interface RenderContext {
  secret: string;
  publicUrl: string;
  orgName: string;
  from: string;
  replyTo?: string;
  messageIdDomain: string;
  mailFrom: string;
}

export function campaignMessageId(campaignId: string, subscriberId: string, domain: string): string {
  return `<campaign-${campaignId}-${subscriberId}@${domain}>`;
}

/** Reads campaign and subscriber from one of our campaign Message-IDs (replies, bounces). */
export function readCampaignMessageId(id: string | undefined | null): { campaignId: string; subscriberId: string } | null {
  const m = /campaign-(\d+)-(\d+)@/.exec(id ?? '');
  return m ? { campaignId: m[1]!, subscriberId: m[2]! } : null;
}

function vars(cc: CompiledCampaign, r: RecipientForRender, ctx: RenderContext) {
  const lang = cc.c.language;
  const u = signToken(ctx.secret, 'u', [r.subscriberId]);
  return {
    name: r.name ?? '',
    first_name: (r.name ?? '').split(/\s+/)[0] ?? '',
    email: r.email,
    org_name: ctx.orgName,
    unsubscribe_url: `${ctx.publicUrl}/newsletter/unsubscribe?t=${u}&lang=${lang}`,
    preferences_url: `${ctx.publicUrl}/newsletter/preferences?t=${signToken(ctx.secret, 'p', [r.subscriberId])}&lang=${lang}`,
    view_url: `${ctx.publicUrl}/newsletter/view?t=${signToken(ctx.secret, 'v', [cc.c.id, r.subscriberId])}`,
    oneClickUrl: `${ctx.publicUrl}/newsletter/unsubscribe?t=${u}`,
    unsubscribeToken: u,
  };
}

/** The HTML body for one subscriber; `pixel` false for the view-in-browser page. */
export function renderHtml(cc: CompiledCampaign, r: RecipientForRender, ctx: RenderContext, opts: { pixel: boolean }): string {
  return htmlWith(cc, r, ctx, vars(cc, r, ctx), opts.pixel);
}

function htmlWith(cc: CompiledCampaign, r: RecipientForRender, ctx: RenderContext, v: ReturnType<typeof vars>, pixel: boolean): string {
  const html = cc.html(v);
  const track = !r.dnt;
  const withLinks = html.replace(SLOT, (_m, i: string) => {
    const url = cc.c.links[Number(i)] ?? '#';
    return track ? `${ctx.publicUrl}/newsletter/c?t=${signToken(ctx.secret, 'c', [cc.c.id, r.subscriberId, i])}` : url;
  });
  const img =
    track && pixel
      ? `<img src="${ctx.publicUrl}/newsletter/o?t=${signToken(ctx.secret, 'o', [cc.c.id, r.subscriberId])}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`
      : '';
  return withLinks.replace(PIXEL, img);
}

export function renderCampaignMail(cc: CompiledCampaign, r: RecipientForRender, ctx: RenderContext, opts: { messageId?: string } = {}): OutgoingEmail {
  const v = vars(cc, r, ctx);
  const listHost = ctx.messageIdDomain;
  return {
    from: ctx.from,
    ...(ctx.replyTo ? { replyTo: ctx.replyTo } : {}),
    to: [r.email],
    subject: cc.subject(v).replace(/\s+/g, ' ').trim(),
    text: cc.text(v),
    html: htmlWith(cc, r, ctx, v, true),
    messageId: opts.messageId ?? campaignMessageId(cc.c.id, r.subscriberId, ctx.messageIdDomain),
    headers: {
      'List-Unsubscribe': `<${v.oneClickUrl}>, <mailto:${ctx.mailFrom}?subject=unsubscribe%20${v.unsubscribeToken}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': `Newsletter <newsletter.${listHost}>`,
      Precedence: 'bulk',
      'Feedback-ID': `${cc.c.id}:newsletter:mailroom`,
    },
  };
}
