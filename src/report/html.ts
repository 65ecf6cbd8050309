/**
 * The HTML report: one self-contained file (inline SVG and CSS, no script, no network) rendered
 * from a RunResult: the decision and matrix, each step's percentile spectrum of both arms on a
 * log-scaled percentile axis (as HdrHistogram's plotter draws it), p99 over time with the weight
 * timeline and verdict markers, and throughput and errors over time.
 */

import { decodeHistogram } from '../hdr/histogram.js';
import type { RunResult } from '../result/run-result.js';
import { decisionWord } from './decision-word.js';
import { renderChecksHtml, renderHtmlTables, renderSlowestHtml } from './html-table.js';
import { runNotes } from './notes.js';
import { securityHtml } from './security.js';
import { chart, esc, H, niceMax, PAD, REPORT_CSS, type Series, W } from './svg-chart.js';

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
    measured: (p: { maxMs: number }) => boolean = () => true,
  ): [number, number][] =>
    r.steps.flatMap((s) => {
      const points = s.intervals?.[arm] ?? [];
      // The last cut of each stretch holds only the tail of in-flight requests: leave such
      // slivers out rather than draw a dip to zero.
      const typical = Math.max(0, ...points.map((p) => p.requests));
      return points
        .filter((p) => p.requests >= 0.2 * typical && measured(p))
        .map((p): [number, number] => [s.startedAtMs + p.startMs + p.durationMs / 2, pick(p)]);
    });
  // A second without one response has no latency: a gap in the line, never a dip to 0 ms.
  const p99 = arms.map((arm) => ({
    name: arm,
    points: pointsOf(
      arm,
      (p) => p.p99Ms,
      (p) => p.maxMs > 0,
    ),
  }));
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
<html lang="en"><head><meta charset="utf-8"><title>canary-gate ${esc(r.run)}: ${esc(decisionWord(r).toLowerCase())}</title>
<style>
${REPORT_CSS}</style></head><body>
<h1>canary-gate: <span class="${verdictClass}">${esc(decisionWord(r))}</span> — ${esc(r.scenario.name)}</h1>
<p>${esc(r.reason)}</p>
${runNotes(r)
  .map((n) => `<p class="note">${esc(n)}</p>`)
  .join('')}
${(r.warnings ?? []).map((w) => `<p class="warn">${esc(w)}</p>`).join('')}
${renderHtmlTables(r)}
${securityHtml(r)}
${renderChecksHtml(r)}
${timelines(r)}
${r.steps.map((_, i) => spectrum(r, i)).join('')}
${renderSlowestHtml(r)}
<p class="tick">run ${esc(r.run)} · ${esc(r.startedAt)} → ${esc(r.endedAt)} · ${esc(r.router)} · ${esc(r.machine.cpuModel ?? '')} × ${r.machine.cpus}</p>
</body></html>
`;
}
