/**
 * The HTML report: one self-contained file (inline SVG and CSS, no script, no network) rendered
 * from a RunResult: the decision and matrix, each step's percentile spectrum of both arms on a
 * log-scaled percentile axis (as HdrHistogram's plotter draws it), p99 over time with the weight
 * timeline and verdict markers, and throughput and errors over time.
 */
import type { RunResult } from '../canary/run-result.js';
import { decodeHistogram } from '../metrics/hdr.js';
import { renderHtmlTables, renderSlowestHtml } from './html-table.js';

const esc = (t: string): string =>
  t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const COLORS: Record<string, string> = { baseline: '#2b6cb0', canary: '#dd6b20', client: '#4a5568' };
const W = 720;
const H = 240;
const PAD = { left: 56, right: 40, top: 16, bottom: 36 };

interface Series {
  name: string;
  points: [number, number][];
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / p) * p;
}

/** An SVG line chart; x and y are mapped by the caller's scales, ticks given as [value, label]. */
function chart(
  title: string,
  series: Series[],
  xScale: (x: number) => number,
  xTicks: [number, string][],
  yMax: number,
  yLabel: string,
  extra = '',
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
  const lines = series
    .filter((s) => s.points.length > 0)
    .map(
      (s) =>
        `<path class="series" d="${s.points.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join('')}" stroke="${COLORS[s.name] ?? '#718096'}"><title>${esc(s.name)}</title></path>`,
    )
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<text class="legend" x="${PAD.left + 8 + i * 110}" y="${PAD.top + 12}" fill="${COLORS[s.name] ?? '#718096'}">■ ${esc(s.name)}</text>`,
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${extra}${grid}${lines}${legend}<text class="tick" x="14" y="${PAD.top + ih / 2}" transform="rotate(-90 14 ${PAD.top + ih / 2})" text-anchor="middle">${esc(yLabel)}</text></svg></figure>`;
}

/** Percentile spectrum: x is log10(1/(1-p)), from 0 % to 99.999 %. */
function spectrum(r: RunResult, stepIndex: number): string {
  const step = r.steps[stepIndex];
  if (!step) return '';
  const series: Series[] = Object.entries(step.arms).map(([name, arm]) => {
    const h = decodeHistogram(arm.histogram);
    const points: [number, number][] = [];
    if (h.totalCount > 0) {
      for (let k = 0; k <= 100; k++) {
        const nines = k / 20; // 0 … 5 nines
        const p = 100 * (1 - 10 ** -nines);
        points.push([nines, Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000]);
      }
    }
    return { name, points };
  });
  const yMax = niceMax(Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1]))));
  const ticks: [number, string][] = [
    [0, '0%'],
    [1, '90%'],
    [2, '99%'],
    [3, '99.9%'],
    [4, '99.99%'],
    [5, '99.999%'],
  ];
  return chart(
    `Step ${step.index + 1} (${step.weight}% canary): latency by percentile`,
    series,
    (v) => v / 5,
    ticks,
    yMax,
    'ms',
  );
}

/** p99 over time, weight timeline and verdict markers; requests and errors over time. */
function timelines(r: RunResult): string {
  const end = Math.max(1, ...r.steps.map((s) => s.startedAtMs + s.durationMs));
  const xScale = (v: number) => v / end;
  const seconds = Math.ceil(end / 1000);
  const every = Math.max(1, Math.ceil(seconds / 10));
  const xTicks: [number, string][] = Array.from({ length: Math.floor(seconds / every) + 1 }, (_, i) => [
    i * every * 1000,
    `${i * every}s`,
  ]);
  const arms = [...new Set(r.steps.flatMap((s) => Object.keys(s.intervals ?? {})))];
  const pointsOf = (
    arm: string,
    pick: (p: { p99Ms: number; requests: number; errors: number; durationMs: number }) => number,
  ): [number, number][] =>
    r.steps.flatMap((s) => {
      const points = s.intervals?.[arm] ?? [];
      // The last cut of each stretch holds only the tail of in-flight requests: leave such
      // slivers out rather than draw a dip to zero.
      const typical = Math.max(0, ...points.map((p) => p.requests));
      return points
        .filter((p) => p.requests >= 0.2 * typical)
        .map((p): [number, number] => [s.startedAtMs + p.startMs + p.durationMs / 2, pick(p)]);
    });
  const p99 = arms.map((arm) => ({ name: arm, points: pointsOf(arm, (p) => p.p99Ms) }));
  const rps = arms.map((arm) => ({ name: arm, points: pointsOf(arm, (p) => (p.requests / p.durationMs) * 1000) }));
  const errors = arms.map((arm) => ({
    name: `${arm} errors`,
    points: pointsOf(arm, (p) => (p.errors / p.durationMs) * 1000),
  }));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const bands = r.steps
    .map((s) => {
      const x0 = PAD.left + xScale(s.startedAtMs) * iw;
      const x1 = PAD.left + xScale(s.startedAtMs + s.durationMs) * iw;
      const color = s.verdict.decision === 'rollback' ? '#e53e3e' : '#38a169';
      return `<rect class="band" x="${x0}" y="${PAD.top}" width="${Math.max(1, x1 - x0)}" height="${ih}" fill-opacity="${0.04 + s.weight / 400}"/><text class="tick" x="${(x0 + x1) / 2}" y="${PAD.top + ih - 6}" text-anchor="middle">${s.weight}%</text><circle class="verdict" cx="${x1}" cy="${PAD.top + 6}" r="5" fill="${color}"><title>${esc(`step ${s.index + 1}: ${s.verdict.decision}`)}</title></circle>`;
    })
    .join('');
  const yP99 = niceMax(Math.max(1, ...p99.flatMap((s) => s.points.map((p) => p[1]))));
  const yRps = niceMax(
    Math.max(1, ...rps.flatMap((s) => s.points.map((p) => p[1])), ...errors.flatMap((s) => s.points.map((p) => p[1]))),
  );
  return (
    chart(
      'p99 latency over time (shaded: canary weight per step; dots: verdicts)',
      p99,
      xScale,
      xTicks,
      yP99,
      'p99 ms',
      bands,
    ) + chart('Throughput and errors over time', [...rps, ...errors], xScale, xTicks, yRps, 'per second', bands)
  );
}

/** The report as one HTML document. */
export function renderHtml(r: RunResult): string {
  const verdictClass = r.decision === 'promote' ? 'ok' : 'bad';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>canary-gate ${esc(r.run)}: ${esc(r.decision)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1a202c;max-width:780px}
h1{font-size:20px}.ok{color:#276749}.bad{color:#c53030}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #e2e8f0;padding:3px 8px;text-align:right}th{background:#f7fafc}
td:first-child,th:first-child{text-align:left}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}
svg{background:#fff;border:1px solid #e2e8f0}
.grid{stroke:#edf2f7}.tick{font-size:11px;fill:#4a5568}.legend{font-size:12px}.series{fill:none;stroke-width:2}.band{fill:#dd6b20}
.warn{background:#fffaf0;border-left:4px solid #dd6b20;padding:6px 10px}
</style></head><body>
<h1>canary-gate: <span class="${verdictClass}">${esc(r.decision.toUpperCase())}</span> — ${esc(r.scenario.name)}</h1>
<p>${esc(r.reason)}</p>
${(r.warnings ?? []).map((w) => `<p class="warn">${esc(w)}</p>`).join('')}
${renderHtmlTables(r)}
${timelines(r)}
${r.steps.map((_, i) => spectrum(r, i)).join('')}
${renderSlowestHtml(r)}
<p class="tick">run ${esc(r.run)} · ${esc(r.startedAt)} → ${esc(r.endedAt)} · ${esc(r.router)} · ${esc(r.machine.cpuModel ?? '')} × ${r.machine.cpus}</p>
</body></html>
`;
}
