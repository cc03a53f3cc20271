import type { CampaignStats } from './campaigns.ts';
import { escapeHtml as esc } from '../http/escape-html.ts';

export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 280;

/**
 * Where the chart's points go, for the SVG and the PNG alike: hours along x, opens and clicks
 * (people only) up y, scaled to the peak, inside the given margins.
 */
export function chartScale(s: CampaignStats, m: { left: number; right: number; top: number; bottom: number }) {
  const W = CHART_WIDTH;
  const H = CHART_HEIGHT;
  const pts = s.timeline.length ? s.timeline : [{ at: new Date().toISOString(), opens: 0, clicks: 0 }];
  const max = Math.max(1, ...pts.map((p) => Math.max(p.opens, p.clicks)));
  const x = (i: number) => m.left + (pts.length === 1 ? (W - m.left - m.right) / 2 : (i * (W - m.left - m.right)) / (pts.length - 1));
  const y = (v: number) => m.top + (H - m.top - m.bottom) * (1 - v / max);
  return { pts, max, x, y };
}

/** Opens and clicks (people only) per hour as a small SVG line chart, with the totals in the title. */
export function statsChartSvg(s: CampaignStats): string {
  const W = CHART_WIDTH, H = CHART_HEIGHT, L = 48, R = 16;
  const { pts, max, x, y } = chartScale(s, { left: L, right: R, top: 40, bottom: 40 });
  const line = (key: 'opens' | 'clicks') => pts.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
  const ticks = [0, Math.round(max / 2), max];
  const label = (iso: string) => iso.slice(5, 13).replace('T', ' ') + 'h';
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(`Campaign ${s.name}: opens and clicks over time`)}">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${L}" y="20" font-family="sans-serif" font-size="14" font-weight="bold">${esc(s.name)} — sent ${s.sent}, unique opens ${s.uniqueHumanOpens}, clicks ${s.humanClicks} (machine: ${s.machineOpens} opens, ${s.machineClicks} clicks)</text>
${ticks.map((t) => `<line x1="${L}" x2="${W - R}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${L - 6}" y="${y(t) + 4}" text-anchor="end" font-family="sans-serif" font-size="11">${t}</text>`).join('\n')}
<path d="${line('opens')}" fill="none" stroke="#0b5cad" stroke-width="2"/>
<path d="${line('clicks')}" fill="none" stroke="#d9480f" stroke-width="2"/>
${pts.map((p, i) => `<circle cx="${x(i)}" cy="${y(p.opens)}" r="3" fill="#0b5cad"/><circle cx="${x(i)}" cy="${y(p.clicks)}" r="3" fill="#d9480f"/>`).join('')}
<text x="${L}" y="${H - 12}" font-family="sans-serif" font-size="11">${esc(label(pts[0]!.at))}</text>
<text x="${W - R}" y="${H - 12}" text-anchor="end" font-family="sans-serif" font-size="11">${esc(label(pts[pts.length - 1]!.at))}</text>
<text x="${W - 200}" y="${H - 12}" font-family="sans-serif" font-size="11" fill="#0b5cad">● opens</text><text x="${W - 130}" y="${H - 12}" font-family="sans-serif" font-size="11" fill="#d9480f">● clicks</text>
</svg>
`;
}
