/**
 * Campaign life: draft → awaiting-approval (a Slack task, action 'broadcast') → scheduled →
 * sending (recipient rows written in one statement) → sent; paused and cancelled on the way.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import { enqueueEmail, newMessageId } from '../outbox/enqueue.ts';
import { createTask } from '../tasks/task-service.ts';
import { closeTasksOfRecord } from '../tasks/task-endings.ts';
import type { ActionRegistry } from '../tasks/action-registry.ts';
import type { NewsletterDeps, Lang } from './deps.ts';
import { prepareTemplate, compileCampaign, renderCampaignMail, renderHtml, type CampaignForRender, type RenderContext } from './render.ts';

/** What was asked of a campaign cannot be done (unknown, wrong state): the CLI prints it as one line. */
export class CampaignError extends Error {
  override name = 'CampaignError';
}
import { signToken } from './tokens.ts';
import { formatMailbox } from '../mail/address.ts';
import { suppressedFor } from '../suppression/suppression-list.ts';

export type CampaignStatus = 'draft' | 'awaiting-approval' | 'scheduled' | 'sending' | 'paused' | 'sent' | 'cancelled' | 'rejected';

export interface CampaignRow {
  id: string;
  name: string;
  subject: string;
  list_ids: string[];
  language: Lang;
  template_html: string;
  template_text: string | null;
  status: CampaignStatus;
  scheduled_at: Date | null;
  prepared_html: string | null;
  links: string[];
  task_id: string | null;
  approved_by: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
}

const COLS = `id::text, name, subject, list_ids::text[] as list_ids, language, template_html, template_text, status, scheduled_at, prepared_html, links, task_id::text, approved_by, started_at, finished_at, created_at`;

export function renderContext(deps: NewsletterDeps): RenderContext {
  return {
    secret: deps.secret,
    publicUrl: deps.publicUrl,
    orgName: deps.orgName,
    from: formatMailbox({ name: deps.config.fromName ?? deps.fromName, address: deps.mailFrom }),
    ...(deps.replyTo ? { replyTo: deps.replyTo } : {}),
    messageIdDomain: deps.messageIdDomain,
    mailFrom: deps.mailFrom,
  };
}

export function forRender(c: CampaignRow): CampaignForRender {
  if (!c.prepared_html) throw new Error(`campaign ${c.id} is not prepared`);
  return { id: c.id, subject: c.subject, language: c.language, preparedHtml: c.prepared_html, templateText: c.template_text, links: c.links };
}

export async function createCampaign(
  em: EntityManager,
  input: { name: string; subject: string; listIds: string[]; language: Lang; html: string; text?: string | null },
): Promise<CampaignRow> {
  if (input.listIds.length === 0) throw new CampaignError('a campaign needs at least one list');
  const prepared = prepareTemplate(input.html, input.language);
  // Compiling now surfaces template errors at creation, not mid-send.
  compileCampaign({ id: '0', subject: input.subject, language: input.language, preparedHtml: prepared.html, templateText: input.text ?? null, links: prepared.links });
  const [row] = await sqlOf(em)<CampaignRow>(
    `insert into newsletter_campaign (name, subject, list_ids, language, template_html, template_text, prepared_html, links)
     values (?, ?, ?::bigint[], ?, ?, ?, ?, ?) returning ${COLS}`,
    [input.name, input.subject, `{${input.listIds.join(',')}}`, input.language, input.html, input.text ?? null, prepared.html, JSON.stringify(prepared.links)],
  );
  return row!;
}

export async function findCampaign(em: EntityManager, id: string, opts: { forUpdate?: boolean } = {}): Promise<CampaignRow | null> {
  if (!/^\d+$/.test(id)) return null;
  const [row] = await sqlOf(em)<CampaignRow>(`select ${COLS} from newsletter_campaign where id = ?${opts.forUpdate ? ' for update' : ''}`, [id]);
  return row ?? null;
}

export async function listCampaigns(em: EntityManager): Promise<CampaignRow[]> {
  return sqlOf(em)<CampaignRow>(`select ${COLS} from newsletter_campaign order by id desc`);
}

/** How many would receive it now (confirmed, not suppressed, on any of its lists). */
export async function audienceSize(em: EntityManager, listIds: string[]): Promise<number> {
  const [row] = await sqlOf(em)<{ n: string }>(
    `select count(distinct s.id) as n from newsletter_subscription x join newsletter_subscriber s on s.id = x.subscriber_id
      where x.list_id = any(?::bigint[]) and x.status = 'confirmed' and s.suppressed_reason is null`,
    [`{${listIds.join(',')}}`],
  );
  return Number(row!.n);
}

/** A preview for one (real or made-up) subscriber, never tracked. */
export async function previewCampaign(em: EntityManager, deps: NewsletterDeps, id: string, opts: { email?: string; name?: string } = {}) {
  const c = await findCampaign(em, id);
  if (!c) throw new CampaignError(`no campaign ${id}`);
  const mail = renderCampaignMail(compileCampaign(forRender(c)), { subscriberId: '0', email: opts.email ?? 'preview@example.com', name: opts.name ?? 'Kari Nordmann', dnt: true }, renderContext(deps), { messageId: newMessageId(deps.messageIdDomain) });
  return mail;
}

/** A test send through the outbox to any address: untracked, marked [TEST]. */
export async function testSendCampaign(em: EntityManager, deps: NewsletterDeps, id: string, to: string): Promise<string | null> {
  const mail = await previewCampaign(em, deps, id, { email: to, name: to.split('@')[0] });
  mail.subject = `[TEST] ${mail.subject}`;
  return enqueueEmail(em, mail);
}

/** Asks staff to approve the broadcast (Slack task with Approve/Reject); sends nothing yet. */
export async function requestApproval(em: EntityManager, deps: NewsletterDeps, id: string, at: Date | null): Promise<{ taskId: string; audience: number }> {
  const c = await findCampaign(em, id, { forUpdate: true });
  if (!c) throw new CampaignError(`no campaign ${id}`);
  if (!['draft', 'rejected'].includes(c.status)) throw new CampaignError(`campaign ${id} is ${c.status}; only a draft can be scheduled`);
  const audience = await audienceSize(em, c.list_ids);
  const task = await createTask(
    em,
    {
      kind: 'approval',
      recordRef: `CAMPAIGN-${c.id}`,
      title: `Send newsletter "${c.name}" to ${audience} subscribers${at ? ` at ${at.toISOString()}` : ''}`,
      summary: `Subject: ${c.subject}`,
      channelKey: 'sales',
      actionKind: 'broadcast',
      actionPayload: { campaignId: c.id },
      details: { what: `newsletter campaign ${c.id}`, audience },
      dedupeKey: `broadcast:${c.id}:${Date.now()}`,
    },
    deps.slack,
  );
  await sqlOf(em)(`update newsletter_campaign set status = 'awaiting-approval', scheduled_at = ?, task_id = ?, updated_at = now() where id = ?`, [at, task.id, c.id]);
  return { taskId: task.publicId, audience };
}

/** The 'broadcast' action: approval schedules the campaign (now, or at its time); rejection sends it back to draft. */
export function registerBroadcastAction(actions: ActionRegistry): void {
  actions.register(
    'broadcast',
    async (em, task, actor) => {
      const id = String(task.actionPayload?.campaignId ?? '');
      await sqlOf(em)(
        `update newsletter_campaign set status = 'scheduled', scheduled_at = coalesce(scheduled_at, now()), approved_by = ?, approved_at = now(), updated_at = now()
          where id = ? and status = 'awaiting-approval'`,
        [`${actor.kind}:${actor.name}`, id],
      );
    },
    {
      onReject: async (em, task) => {
        await sqlOf(em)(`update newsletter_campaign set status = 'rejected', updated_at = now() where id = ? and status = 'awaiting-approval'`, [String(task.actionPayload?.campaignId ?? '')]);
      },
      // Nobody approved in time: back to draft, to be scheduled (and approved) again.
      onExpire: async (em, task) => {
        await sqlOf(em)(`update newsletter_campaign set status = 'draft', updated_at = now() where id = ? and status = 'awaiting-approval'`, [String(task.actionPayload?.campaignId ?? '')]);
      },
    },
  );
}

/**
 * The scheduler job: due campaigns start sending. Recipient rows are written in the same
 * statement batch as the status change, once (unique per campaign and subscriber).
 */
export async function startDueCampaigns(em: EntityManager, now: Date): Promise<string[]> {
  const due = await sqlOf(em)<{ id: string; list_ids: string[] }>(
    `select id::text, list_ids::text[] as list_ids from newsletter_campaign where status = 'scheduled' and scheduled_at <= ? for update skip locked`,
    [now],
  );
  for (const c of due) await materialise(em, c.id, c.list_ids);
  return due.map((c) => c.id);
}

async function materialise(em: EntityManager, id: string, listIds: string[]): Promise<void> {
  await sqlOf(em)(
    `insert into newsletter_recipient (campaign_id, subscriber_id, email, domain)
     select distinct ?::bigint, s.id, s.email, split_part(s.email, '@', 2)
       from newsletter_subscription x join newsletter_subscriber s on s.id = x.subscriber_id
      where x.list_id = any(?::bigint[]) and x.status = 'confirmed' and s.suppressed_reason is null
     on conflict (campaign_id, subscriber_id) do nothing`,
    [id, `{${listIds.join(',')}}`],
  );
  await sqlOf(em)(`update newsletter_campaign set status = 'sending', started_at = coalesce(started_at, now()), updated_at = now() where id = ?`, [id]);
}

export async function pauseCampaign(em: EntityManager, id: string): Promise<boolean> {
  const r = await sqlOf(em)(`update newsletter_campaign set status = 'paused', updated_at = now() where id = ? and status in ('sending', 'scheduled') returning id`, [id]);
  return r.length > 0;
}

export async function resumeCampaign(em: EntityManager, id: string): Promise<boolean> {
  const r = await sqlOf(em)(
    `update newsletter_campaign set status = case when started_at is null then 'scheduled' else 'sending' end, updated_at = now() where id = ? and status = 'paused' returning id`,
    [id],
  );
  return r.length > 0;
}

/** Cancels what has not gone yet; rows being sent right now finish (they may already be at the peer). */
export async function cancelCampaign(em: EntityManager, id: string): Promise<boolean> {
  const r = await sqlOf(em)(`update newsletter_campaign set status = 'cancelled', finished_at = now(), updated_at = now() where id = ? and status not in ('sent', 'cancelled') returning id`, [id]);
  await sqlOf(em)(`update newsletter_recipient set status = 'cancelled', last_error = 'campaign cancelled' where campaign_id = ? and status = 'queued'`, [id]);
  // An approval still waiting for it has nothing left to approve.
  if (r.length) await closeTasksOfRecord(em, `CAMPAIGN-${id}`, { reason: `campaign ${id} cancelled` });
  return r.length > 0;
}

/** Marks campaigns finished when none of their rows is left to send. */
export async function finishCampaigns(em: EntityManager, ids?: string[]): Promise<string[]> {
  const rows = await sqlOf(em)<{ id: string }>(
    `update newsletter_campaign c set status = 'sent', finished_at = now(), updated_at = now()
      where c.status = 'sending' and (?::bigint[] is null or c.id = any(?::bigint[]))
        and not exists (select 1 from newsletter_recipient r where r.campaign_id = c.id and r.status in ('queued', 'sending'))
      returning id::text`,
    [ids ? `{${ids.join(',')}}` : null, ids ? `{${ids.join(',')}}` : null],
  );
  return rows.map((r) => r.id);
}

/** View-in-browser HTML for one subscriber (links tracked unless DNT; no pixel: the view is counted itself). */
export async function viewHtml(em: EntityManager, deps: NewsletterDeps, campaignId: string, subscriberId: string): Promise<string | null> {
  const c = await findCampaign(em, campaignId);
  if (!c?.prepared_html) return null;
  const [s] = await sqlOf(em)<{ email: string; name: string | null; dnt: boolean }>(`select email, name, dnt from newsletter_subscriber where id = ?`, [subscriberId]);
  const untracked = !s || s.dnt || !!(await suppressedFor(em, deps.secret, s.email, 'tracking'));
  const r = s ? { subscriberId, email: s.email, name: s.name, dnt: untracked } : { subscriberId, email: '', name: null, dnt: true };
  return renderHtml(compileCampaign(forRender(c)), r, renderContext(deps), { pixel: false });
}

export interface CampaignStats {
  id: string;
  name: string;
  status: CampaignStatus;
  recipients: number;
  queued: number;
  sent: number;
  delivered: number;
  bounced: number;
  failed: number;
  cancelled: number;
  humanOpens: number;
  uniqueHumanOpens: number;
  machineOpens: number;
  views: number;
  humanClicks: number;
  uniqueHumanClicks: number;
  machineClicks: number;
  unsubscribes: number;
  topLinks: { url: string; clicks: number }[];
  machineReasons: Record<string, number>;
  timeline: { at: string; opens: number; clicks: number }[];
}

export async function campaignStats(em: EntityManager, id: string): Promise<CampaignStats | null> {
  const c = await findCampaign(em, id);
  if (!c) return null;
  const sql = sqlOf(em);
  const st = Object.fromEntries((await sql<{ status: string; n: string }>(`select status, count(*) as n from newsletter_recipient where campaign_id = ? group by status`, [id])).map((r) => [r.status, Number(r.n)]));
  const [ev] = await sql<Record<string, string>>(
    `select count(*) filter (where kind = 'open' and not machine) as human_opens,
            count(distinct coalesce(subscriber_id::text, 'e' || id::text)) filter (where kind in ('open', 'view', 'click') and not machine) as unique_opens,
            count(*) filter (where kind = 'open' and machine) as machine_opens,
            count(*) filter (where kind = 'view' and not machine) as views,
            count(*) filter (where kind = 'click' and not machine) as human_clicks,
            count(distinct coalesce(subscriber_id::text, 'e' || id::text)) filter (where kind = 'click' and not machine) as unique_clicks,
            count(*) filter (where kind = 'click' and machine) as machine_clicks,
            count(*) filter (where kind = 'unsubscribe') as unsubscribes
       from newsletter_event where campaign_id = ?`,
    [id],
  );
  const links = await sql<{ link_index: number; n: string }>(
    `select link_index, count(*) as n from newsletter_event where campaign_id = ? and kind = 'click' and not machine group by link_index order by n desc limit 10`,
    [id],
  );
  const reasons = await sql<{ machine_reason: string; n: string }>(`select machine_reason, count(*) as n from newsletter_event where campaign_id = ? and machine group by machine_reason`, [id]);
  const timeline = await sql<{ at: Date; opens: string; clicks: string }>(
    `select date_trunc('hour', at) as at, count(*) filter (where kind in ('open', 'view')) as opens, count(*) filter (where kind = 'click') as clicks
       from newsletter_event where campaign_id = ? and not machine group by 1 order by 1`,
    [id],
  );
  const sent = (st.sent ?? 0) + (st.bounced ?? 0);
  return {
    id,
    name: c.name,
    status: c.status,
    recipients: Object.values(st).reduce((a, b) => a + b, 0),
    queued: (st.queued ?? 0) + (st.sending ?? 0),
    sent,
    delivered: st.sent ?? 0,
    bounced: st.bounced ?? 0,
    failed: st.failed ?? 0,
    cancelled: st.cancelled ?? 0,
    humanOpens: Number(ev!.human_opens),
    uniqueHumanOpens: Number(ev!.unique_opens),
    machineOpens: Number(ev!.machine_opens),
    views: Number(ev!.views),
    humanClicks: Number(ev!.human_clicks),
    uniqueHumanClicks: Number(ev!.unique_clicks),
    machineClicks: Number(ev!.machine_clicks),
    unsubscribes: Number(ev!.unsubscribes),
    topLinks: links.map((l) => ({ url: c.links[l.link_index] ?? '?', clicks: Number(l.n) })),
    machineReasons: Object.fromEntries(reasons.map((r) => [r.machine_reason ?? 'unknown', Number(r.n)])),
    timeline: timeline.map((t) => ({ at: new Date(t.at).toISOString(), opens: Number(t.opens), clicks: Number(t.clicks) })),
  };
}

/** The campaign's chart on the daemon: SVG for browsers, PNG for Slack (which shows no SVG). */
export function chartUrl(deps: NewsletterDeps, campaignId: string, format: 'svg' | 'png' = 'svg'): string {
  return `${deps.publicUrl}/newsletter/chart.${format}?t=${signToken(deps.secret, 's', [campaignId])}`;
}

