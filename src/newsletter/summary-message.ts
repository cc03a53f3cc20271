import type { CampaignStats } from './campaigns.ts';
import { statsChartAltText } from './chart-png.ts';

/**
 * The Slack message staff get when a campaign has gone out: the figures, and the chart as an
 * image (Slack loads it from `chartPngUrl`). Aggregates only: no subscriber is named.
 */
export function campaignSummaryMessage(s: CampaignStats, channel: string, chartPngUrl: string): Record<string, unknown> {
  const text =
    `Newsletter "${s.name}" sent: ${s.sent} sent, ${s.failed} failed, ${s.bounced} bounced; ` +
    `${s.uniqueHumanOpens} unique opens and ${s.humanClicks} clicks by people so far ` +
    `(machines: ${s.machineOpens} opens, ${s.machineClicks} clicks), ${s.unsubscribes} unsubscribed.`;
  return {
    op: 'message',
    channel,
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'image', image_url: chartPngUrl, alt_text: statsChartAltText(s) },
    ],
  };
}
