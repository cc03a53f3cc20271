import { PNG } from 'pngjs';
import type { CampaignStats } from './campaigns.ts';
import { CHART_HEIGHT as H, CHART_WIDTH as W, chartScale } from './chart.ts';

const L = 24;
const R = 16;
type Rgb = [number, number, number];
const OPENS: Rgb = [0x0b, 0x5c, 0xad];
const CLICKS: Rgb = [0xd9, 0x48, 0x0f];
const GRID: Rgb = [0xdd, 0xdd, 0xdd];
const AXIS: Rgb = [0x88, 0x88, 0x88];

/**
 * The campaign chart as a PNG: Slack shows PNG, not SVG, in a message. Same scale (chartScale)
 * and colours as statsChartSvg (opens blue, clicks orange, people only, per hour, grid at 0, half and the
 * peak); the numbers go in the message text and the image's alt text, so no font is needed.
 */
export function statsChartPng(s: CampaignStats): Buffer {
  // pngjs keeps pixels as RGBA; white and opaque to start with, written out as RGB.
  const png = new PNG({ width: W, height: H, colorType: 2 });
  png.data = Buffer.alloc(W * H * 4, 0xff);
  const plot = (px: number, py: number, c: Rgb) => {
    const x = Math.round(px);
    const y = Math.round(py);
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = (y * W + x) * 4;
    png.data[i] = c[0];
    png.data[i + 1] = c[1];
    png.data[i + 2] = c[2];
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let k = 0; k <= steps; k++) {
      const x = x0 + ((x1 - x0) * k) / steps;
      const y = y0 + ((y1 - y0) * k) / steps;
      for (let d = 0; d < width; d++) plot(x, y + d, c);
    }
  };
  const dot = (cx: number, cy: number, c: Rgb) => {
    for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) if (dx * dx + dy * dy <= 9) plot(cx + dx, cy + dy, c);
  };

  const { pts, max, x, y } = chartScale(s, { left: L, right: R, top: 24, bottom: 32 });
  for (const t of [max, max / 2]) line(L, y(t), W - R, y(t), GRID);
  line(L, y(0), W - R, y(0), AXIS);
  line(L, y(max), L, y(0), AXIS);
  for (const [key, colour] of [['opens', OPENS], ['clicks', CLICKS]] as const) {
    pts.forEach((p, i) => {
      if (i > 0) line(x(i - 1), y(pts[i - 1]![key]), x(i), y(p[key]), colour, 2);
      dot(x(i), y(p[key]), colour);
    });
  }
  // Legend swatches, bottom right: opens, then clicks.
  for (const [n, colour] of [[0, OPENS], [1, CLICKS]] as const) {
    for (let dx = 0; dx < 24; dx++) for (let dy = 0; dy < 4; dy++) plot(W - R - 64 + n * 36 + dx, H - 14 + dy, colour);
  }
  return PNG.sync.write(png);
}

/** What the chart shows, in words (Slack's alt text; screen readers). */
export function statsChartAltText(s: CampaignStats): string {
  const peak = Math.max(0, ...s.timeline.map((p) => Math.max(p.opens, p.clicks)));
  return `Opens (blue) and clicks (orange) per hour for "${s.name}": ${s.uniqueHumanOpens} unique opens, ${s.humanClicks} clicks by people, peak ${peak} an hour; machine events (${s.machineOpens} opens, ${s.machineClicks} clicks) not drawn.`;
}
