/**
 * The HTML reports' shared pieces: escaping, the stylesheet, and an inline SVG line chart with
 * caller-supplied scales, so every report stays one self-contained file (no script, no network).
 */

/** Escape text for HTML content and attribute values. */
export const esc = (t: string): string =>
  t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Colours of the series names the reports use; others are grey unless a series sets its own. */
const COLORS: Record<string, string> = {
  baseline: '#2b6cb0',
  canary: '#dd6b20',
  client: '#4a5568',
  p50: '#2b6cb0',
  p95: '#dd6b20',
  p99: '#c53030',
};
/** Chart width and height, px. */
export const W = 720;
export const H = 240;
/** Space around the plot area for ticks and labels, px. */
export const PAD = { left: 56, right: 40, top: 16, bottom: 36 };

/** One line of a chart. */
export interface Series {
  /** Legend and tooltip text; also picks the colour when `color` is not set. */
  name: string;
  /** [x, y] in data units. */
  points: [number, number][];
  /** Stroke colour. */
  color?: string;
  /** Mark each point with a dot (for curves of few measured points). */
  dots?: boolean;
}

/** A round number at or above `v`, for an axis maximum. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / p) * p;
}

/** The data-to-pixel mappings of a chart, for drawing extras (bands, lines, markers). */
export interface Plot {
  x: (v: number) => number;
  y: (v: number) => number;
  /** Plot area in px. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * An SVG line chart; x is mapped by the caller's scale to [0, 1], y is linear from 0 to `yMax`
 * (higher values are drawn at the top edge). Ticks are given as [value, label]. `extra` is drawn
 * under the grid and series.
 */
export function chart(
  title: string,
  series: Series[],
  xScale: (x: number) => number,
  xTicks: [number, string][],
  yMax: number,
  yLabel: string,
  extra: string | ((plot: Plot) => string) = '',
): string {
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (v: number) => PAD.left + xScale(v) * iw;
  const y = (v: number) => PAD.top + ih - (Math.min(v, yMax) / yMax) * ih;
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  const grid = [
    ...yTicks.map(
      (t) =>
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t)}" y2="${y(t)}"/><text class="tick" x="${PAD.left - 6}" y="${y(t) + 4}" text-anchor="end">${Number(t.toPrecision(3))}</text>`,
    ),
    ...xTicks.map(
      ([v, label]) =>
        `<line class="grid" x1="${x(v)}" x2="${x(v)}" y1="${PAD.top}" y2="${PAD.top + ih}"/><text class="tick" x="${x(v)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${esc(label)}</text>`,
    ),
  ].join('');
  const colorOf = (s: Series): string => s.color ?? COLORS[s.name] ?? '#718096';
  const lines = series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const path = `<path class="series" d="${s.points.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join('')}" stroke="${colorOf(s)}"><title>${esc(s.name)}</title></path>`;
      const dots = s.dots
        ? s.points
            .map(
              ([a, b]) =>
                `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3" fill="${colorOf(s)}"><title>${esc(`${s.name}: ${Number(b.toPrecision(4))} at ${Number(a.toPrecision(6))}`)}</title></circle>`,
            )
            .join('')
        : '';
      return path + dots;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<text class="legend" x="${PAD.left + 8 + i * 110}" y="${PAD.top + 12}" fill="${colorOf(s)}">■ ${esc(s.name)}</text>`,
    )
    .join('');
  const plot: Plot = { x, y, left: PAD.left, right: W - PAD.right, top: PAD.top, bottom: PAD.top + ih };
  const under = typeof extra === 'function' ? extra(plot) : extra;
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${under}${grid}${lines}${legend}<text class="tick" x="14" y="${PAD.top + ih / 2}" transform="rotate(-90 14 ${PAD.top + ih / 2})" text-anchor="middle">${esc(yLabel)}</text></svg></figure>`;
}

/** The reports' stylesheet. */
export const REPORT_CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1a202c;max-width:780px}
h1{font-size:20px}.ok{color:#276749}.bad{color:#c53030}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #e2e8f0;padding:3px 8px;text-align:right}th{background:#f7fafc}
td:first-child,th:first-child{text-align:left}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}
svg{background:#fff;border:1px solid #e2e8f0}
.grid{stroke:#edf2f7}.tick{font-size:11px;fill:#4a5568}.legend{font-size:12px}.series{fill:none;stroke-width:2}.band{fill:#dd6b20}
.warn{background:#fffaf0;border-left:4px solid #dd6b20;padding:6px 10px}
`;
