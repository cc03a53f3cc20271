/**
 * Named queries over campaigns and their recipients and events (`newsletter_campaign`,
 * `_recipient`, `_event`), for campaigns.ts, bounces.ts and reply-handler.ts (the sender's
 * claim is recipient-queue-store.ts). Raw SQL: a campaign's recipient rows are written in one
 * INSERT … SELECT, due campaigns are claimed with SKIP LOCKED, and the statistics are
 * aggregates with FILTER.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { Lang } from './deps.ts';

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

/** A bigint[] literal of ids. */
const idArray = (ids: string[]) => `{${ids.join(',')}}`;

export async function insertCampaign(
  em: EntityManager,
  c: { name: string; subject: string; listIds: string[]; language: Lang; html: string; text: string | null; preparedHtml: string; links: string[] },
): Promise<CampaignRow> {
  const [row] = await sqlOf(em)<CampaignRow>(
    `insert into newsletter_campaign (name, subject, list_ids, language, template_html, template_text, prepared_html, links)
     values (?, ?, ?::bigint[], ?, ?, ?, ?, ?) returning ${COLS}`,
    [c.name, c.subject, idArray(c.listIds), c.language, c.html, c.text, c.preparedHtml, JSON.stringify(c.links)],
  );
  return row!;
}

export async function campaignById(em: EntityManager, id: string, opts: { forUpdate?: boolean } = {}): Promise<CampaignRow | undefined> {
  const [row] = await sqlOf(em)<CampaignRow>(`select ${COLS} from newsletter_campaign where id = ?${opts.forUpdate ? ' for update' : ''}`, [id]);
  return row;
}

/** Every campaign, newest first. */
export async function campaignRows(em: EntityManager): Promise<CampaignRow[]> {
  return sqlOf(em)<CampaignRow>(`select ${COLS} from newsletter_campaign order by id desc`);
}

export async function campaignExists(em: EntityManager, id: string): Promise<boolean> {
  return (await sqlOf(em)(`select 1 from newsletter_campaign where id = ?`, [id])).length > 0;
}

/** Subscribers confirmed on any of the lists and not suppressed (each once). */
export async function audienceCount(em: EntityManager, listIds: string[]): Promise<number> {
  const [row] = await sqlOf(em)<{ n: string }>(
    `select count(distinct s.id) as n from newsletter_subscription x join newsletter_subscriber s on s.id = x.subscriber_id
      where x.list_id = any(?::bigint[]) and x.status = 'confirmed' and s.suppressed_reason is null`,
    [idArray(listIds)],
  );
  return Number(row!.n);
}

export async function setAwaitingApproval(em: EntityManager, id: string, at: Date | null, taskId: string): Promise<void> {
  await sqlOf(em)(`update newsletter_campaign set status = 'awaiting-approval', scheduled_at = ?, task_id = ?, updated_at = now() where id = ?`, [at, taskId, id]);
}

/** Approved: scheduled (now, or at its time), if it was still awaiting approval. */
export async function approveCampaign(em: EntityManager, id: string, approvedBy: string): Promise<void> {
  await sqlOf(em)(
    `update newsletter_campaign set status = 'scheduled', scheduled_at = coalesce(scheduled_at, now()), approved_by = ?, approved_at = now(), updated_at = now()
      where id = ? and status = 'awaiting-approval'`,
    [approvedBy, id],
  );
}

/** A campaign awaiting approval moves to `status` ('rejected', or 'draft' when nobody approved in time). */
export async function settleAwaitingApproval(em: EntityManager, id: string, status: 'rejected' | 'draft'): Promise<void> {
  await sqlOf(em)(`update newsletter_campaign set status = ?, updated_at = now() where id = ? and status = 'awaiting-approval'`, [status, id]);
}

/** Scheduled campaigns due at `now`, locked (SKIP LOCKED: another daemon takes the others). */
export async function claimDueCampaigns(em: EntityManager, now: Date): Promise<{ id: string; list_ids: string[] }[]> {
  return sqlOf(em)<{ id: string; list_ids: string[] }>(`select id::text, list_ids::text[] as list_ids from newsletter_campaign where status = 'scheduled' and scheduled_at <= ? for update skip locked`, [
    now,
  ]);
}

/** One recipient row per confirmed, unsuppressed subscriber of the lists (once per campaign), in one statement; then the campaign is sending. */
export async function materialiseRecipients(em: EntityManager, id: string, listIds: string[]): Promise<void> {
  await sqlOf(em)(
    `insert into newsletter_recipient (campaign_id, subscriber_id, email, domain)
     select distinct ?::bigint, s.id, s.email, split_part(s.email, '@', 2)
       from newsletter_subscription x join newsletter_subscriber s on s.id = x.subscriber_id
      where x.list_id = any(?::bigint[]) and x.status = 'confirmed' and s.suppressed_reason is null
     on conflict (campaign_id, subscriber_id) do nothing`,
    [id, idArray(listIds)],
  );
  await sqlOf(em)(`update newsletter_campaign set status = 'sending', started_at = coalesce(started_at, now()), updated_at = now() where id = ?`, [id]);
}

export async function pauseCampaignRow(em: EntityManager, id: string): Promise<boolean> {
  const r = await sqlOf(em)(`update newsletter_campaign set status = 'paused', updated_at = now() where id = ? and status in ('sending', 'scheduled') returning id`, [id]);
  return r.length > 0;
}

export async function resumeCampaignRow(em: EntityManager, id: string): Promise<boolean> {
  const r = await sqlOf(em)(
    `update newsletter_campaign set status = case when started_at is null then 'scheduled' else 'sending' end, updated_at = now() where id = ? and status = 'paused' returning id`,
    [id],
  );
  return r.length > 0;
}

/** Cancels the campaign (unless sent or cancelled already) and its recipients still queued; whether the campaign was cancelled now. */
export async function cancelCampaignRows(em: EntityManager, id: string): Promise<boolean> {
  const r = await sqlOf(em)(`update newsletter_campaign set status = 'cancelled', finished_at = now(), updated_at = now() where id = ? and status not in ('sent', 'cancelled') returning id`, [id]);
  await sqlOf(em)(`update newsletter_recipient set status = 'cancelled', last_error = 'campaign cancelled' where campaign_id = ? and status = 'queued'`, [id]);
  return r.length > 0;
}

/** Sending campaigns (of `ids`, or all) with no row left queued or sending become sent; their ids. */
export async function finishDoneCampaigns(em: EntityManager, ids?: string[]): Promise<string[]> {
  const rows = await sqlOf(em)<{ id: string }>(
    `update newsletter_campaign c set status = 'sent', finished_at = now(), updated_at = now()
      where c.status = 'sending' and (?::bigint[] is null or c.id = any(?::bigint[]))
        and not exists (select 1 from newsletter_recipient r where r.campaign_id = c.id and r.status in ('queued', 'sending'))
      returning id::text`,
    [ids ? idArray(ids) : null, ids ? idArray(ids) : null],
  );
  return rows.map((r) => r.id);
}

/** What the view-in-browser copy needs of a subscriber. */
export async function subscriberForView(em: EntityManager, subscriberId: string): Promise<{ email: string; name: string | null; dnt: boolean } | undefined> {
  const [s] = await sqlOf(em)<{ email: string; name: string | null; dnt: boolean }>(`select email, name, dnt from newsletter_subscriber where id = ?`, [subscriberId]);
  return s;
}

/** The subscriber's rows still queued are cancelled (an unsubscribe stops what has not gone). */
export async function cancelQueuedRecipientsOf(em: EntityManager, subscriberId: string): Promise<void> {
  await sqlOf(em)(`update newsletter_recipient set status = 'cancelled', last_error = 'unsubscribed' where subscriber_id = ? and status = 'queued'`, [subscriberId]);
}

/** The address a campaign went to for one subscriber. */
export async function recipientEmail(em: EntityManager, campaignId: string, subscriberId: string): Promise<string | undefined> {
  const [row] = await sqlOf(em)<{ email: string }>(`select email from newsletter_recipient where campaign_id = ? and subscriber_id = ?`, [campaignId, subscriberId]);
  return row?.email;
}

/** The subscriber's latest sent row (of the campaign, when known) becomes 'bounced' with the reason. */
export async function markLatestSentBounced(em: EntityManager, subscriberId: string, campaignId: string | null, error: string): Promise<void> {
  await sqlOf(em)(
    `update newsletter_recipient set status = 'bounced', last_error = ?
      where id = (select id from newsletter_recipient where subscriber_id = ? and status = 'sent' and (?::bigint is null or campaign_id = ?::bigint) order by sent_at desc nulls last limit 1)`,
    [error, subscriberId, campaignId, campaignId],
  );
}

/** An unsubscribe counted against the campaign it came from. */
export async function insertUnsubscribeEvent(em: EntityManager, campaignId: string, subscriberId: string): Promise<void> {
  await sqlOf(em)(`insert into newsletter_event (campaign_id, subscriber_id, kind) values (?, ?, 'unsubscribe')`, [campaignId, subscriberId]);
}

/** The campaign's event totals (people apart from machines), as counts in text. */
export async function eventTotals(em: EntityManager, campaignId: string): Promise<Record<string, string>> {
  const [ev] = await sqlOf(em)<Record<string, string>>(
    `select count(*) filter (where kind = 'open' and not machine) as human_opens,
            count(distinct coalesce(subscriber_id::text, 'e' || id::text)) filter (where kind in ('open', 'view', 'click') and not machine) as unique_opens,
            count(*) filter (where kind = 'open' and machine) as machine_opens,
            count(*) filter (where kind = 'view' and not machine) as views,
            count(*) filter (where kind = 'click' and not machine) as human_clicks,
            count(distinct coalesce(subscriber_id::text, 'e' || id::text)) filter (where kind = 'click' and not machine) as unique_clicks,
            count(*) filter (where kind = 'click' and machine) as machine_clicks,
            count(*) filter (where kind = 'unsubscribe') as unsubscribes
       from newsletter_event where campaign_id = ?`,
    [campaignId],
  );
  return ev!;
}

/** The ten links people clicked most. */
export async function topClickedLinks(em: EntityManager, campaignId: string): Promise<{ link_index: number; n: string }[]> {
  return sqlOf(em)<{ link_index: number; n: string }>(
    `select link_index, count(*) as n from newsletter_event where campaign_id = ? and kind = 'click' and not machine group by link_index order by n desc limit 10`,
    [campaignId],
  );
}

/** Machine events by the reason they were taken for machines. */
export async function machineReasonCounts(em: EntityManager, campaignId: string): Promise<{ machine_reason: string; n: string }[]> {
  return sqlOf(em)<{ machine_reason: string; n: string }>(`select machine_reason, count(*) as n from newsletter_event where campaign_id = ? and machine group by machine_reason`, [campaignId]);
}

/** People's opens (and views) and clicks per hour. */
export async function hourlyActivity(em: EntityManager, campaignId: string): Promise<{ at: Date; opens: string; clicks: string }[]> {
  return sqlOf(em)<{ at: Date; opens: string; clicks: string }>(
    `select date_trunc('hour', at) as at, count(*) filter (where kind in ('open', 'view')) as opens, count(*) filter (where kind = 'click') as clicks
       from newsletter_event where campaign_id = ? and not machine group by 1 order by 1`,
    [campaignId],
  );
}
