/**
 * Campaign life: draft → awaiting-approval (a Slack task, action 'broadcast') → scheduled →
 * sending (recipient rows written in one statement) → sent; paused and cancelled on the way.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueEmail, newMessageId } from '../outbox/enqueue-store.ts';
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
import { recipientCounts } from './recipient-queue-store.ts';
import {
  approveCampaign,
  audienceCount,
  campaignById,
  campaignRows,
  cancelCampaignRows,
  claimDueCampaigns,
  eventTotals,
  finishDoneCampaigns,
  hourlyActivity,
  insertCampaign,
  machineReasonCounts,
  materialiseRecipients,
  pauseCampaignRow,
  resumeCampaignRow,
  setAwaitingApproval,
  settleAwaitingApproval,
  subscriberForView,
  topClickedLinks,
  type CampaignRow,
  type CampaignStatus,
} from './campaign-store.ts';

export type { CampaignRow, CampaignStatus } from './campaign-store.ts';

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
  return insertCampaign(em, { name: input.name, subject: input.subject, listIds: input.listIds, language: input.language, html: input.html, text: input.text ?? null, preparedHtml: prepared.html, links: prepared.links });
}

export async function findCampaign(em: EntityManager, id: string, opts: { forUpdate?: boolean } = {}): Promise<CampaignRow | null> {
  if (!/^\d+$/.test(id)) return null;
  return (await campaignById(em, id, opts)) ?? null;
}

export async function listCampaigns(em: EntityManager): Promise<CampaignRow[]> {
  return campaignRows(em);
}

/** How many would receive it now (confirmed, not suppressed, on any of its lists). */
export async function audienceSize(em: EntityManager, listIds: string[]): Promise<number> {
  return audienceCount(em, listIds);
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
  await setAwaitingApproval(em, c.id, at, task.id);
  return { taskId: task.publicId, audience };
}

/** The 'broadcast' action: approval schedules the campaign (now, or at its time); rejection sends it back to draft. */
export function registerBroadcastAction(actions: ActionRegistry): void {
  actions.register(
    'broadcast',
    async (em, task, actor) => {
      const id = String(task.actionPayload?.campaignId ?? '');
      await approveCampaign(em, id, `${actor.kind}:${actor.name}`);
    },
    {
      onReject: async (em, task) => {
        await settleAwaitingApproval(em, String(task.actionPayload?.campaignId ?? ''), 'rejected');
      },
      // Nobody approved in time: back to draft, to be scheduled (and approved) again.
      onExpire: async (em, task) => {
        await settleAwaitingApproval(em, String(task.actionPayload?.campaignId ?? ''), 'draft');
      },
    },
  );
}

/**
 * The scheduler job: due campaigns start sending. Recipient rows are written in the same
 * statement batch as the status change, once (unique per campaign and subscriber).
 */
export async function startDueCampaigns(em: EntityManager, now: Date): Promise<string[]> {
  const due = await claimDueCampaigns(em, now);
  for (const c of due) await materialiseRecipients(em, c.id, c.list_ids);
  return due.map((c) => c.id);
}

export async function pauseCampaign(em: EntityManager, id: string): Promise<boolean> {
  return pauseCampaignRow(em, id);
}

export async function resumeCampaign(em: EntityManager, id: string): Promise<boolean> {
  return resumeCampaignRow(em, id);
}

/** Cancels what has not gone yet; rows being sent right now finish (they may already be at the peer). */
export async function cancelCampaign(em: EntityManager, id: string): Promise<boolean> {
  const cancelled = await cancelCampaignRows(em, id);
  // An approval still waiting for it has nothing left to approve.
  if (cancelled) await closeTasksOfRecord(em, `CAMPAIGN-${id}`, { reason: `campaign ${id} cancelled` });
  return cancelled;
}

/** Marks campaigns finished when none of their rows is left to send. */
export async function finishCampaigns(em: EntityManager, ids?: string[]): Promise<string[]> {
  return finishDoneCampaigns(em, ids);
}

/** View-in-browser HTML for one subscriber (links tracked unless DNT; no pixel: the view is counted itself). */
export async function viewHtml(em: EntityManager, deps: NewsletterDeps, campaignId: string, subscriberId: string): Promise<string | null> {
  const c = await findCampaign(em, campaignId);
  if (!c?.prepared_html) return null;
  const s = await subscriberForView(em, subscriberId);
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
  const st = await recipientCounts(em, id);
  const ev = await eventTotals(em, id);
  const links = await topClickedLinks(em, id);
  const reasons = await machineReasonCounts(em, id);
  const timeline = await hourlyActivity(em, id);
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
    humanOpens: Number(ev.human_opens),
    uniqueHumanOpens: Number(ev.unique_opens),
    machineOpens: Number(ev.machine_opens),
    views: Number(ev.views),
    humanClicks: Number(ev.human_clicks),
    uniqueHumanClicks: Number(ev.unique_clicks),
    machineClicks: Number(ev.machine_clicks),
    unsubscribes: Number(ev.unsubscribes),
    topLinks: links.map((l) => ({ url: c.links[l.link_index] ?? '?', clicks: Number(l.n) })),
    machineReasons: Object.fromEntries(reasons.map((r) => [r.machine_reason ?? 'unknown', Number(r.n)])),
    timeline: timeline.map((t) => ({ at: new Date(t.at).toISOString(), opens: Number(t.opens), clicks: Number(t.clicks) })),
  };
}

/** The campaign's chart on the daemon: SVG for browsers, PNG for Slack (which shows no SVG). */
export function chartUrl(deps: NewsletterDeps, campaignId: string, format: 'svg' | 'png' = 'svg'): string {
  return `${deps.publicUrl}/newsletter/chart.${format}?t=${signToken(deps.secret, 's', [campaignId])}`;
}

