/**
 * The HTML report of a capacity run: one self-contained file (inline SVG and CSS, no script).
 * Per target: the verdict, the latency-throughput curve — p50, p95 and p99 against the offered
 * rate on a log axis, with the SLO's latency bounds, the capacity interval shaded and the knee
 * marked — and the step table. Renders a CapacityResult and nothing else.
 */
import type { CapacityResult, CapacityTargetResult } from '../capacity/result.js';
import { formatRatePerSec } from '../scenario/units.js';
import { chart, esc, niceMax, type Plot, REPORT_CSS, type Series } from './svg-chart.js';

const ms = (v: number): string => `${Number(v.toFixed(2))} ms`;

/** Ticks at 1, 2 and 5 × 10^k inside [lo, hi], as [value, label]. */
function logTicks(lo: number, hi: number): [number, string][] {
  const ticks: [number, string][] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push([v, v >= 1000 ? `${v / 1000}k/s` : `${v}/s`]);
    }
  }
  return ticks;
}

function curveChart(t: CapacityTargetResult, r: CapacityResult): string {
  const steps = [...t.steps].sort((a, b) => a.offeredPerSec - b.offeredPerSec);
  if (steps.length === 0) return '<p>No step was measured.</p>';
  const rates = steps.map((s) => s.offeredPerSec);
  const lo = Math.min(...rates) / 1.15;
  const hi = Math.max(...rates) * 1.15;
  const xScale = (v: number): number => (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
  const sloLimits = r.slo.terms.filter((x) => x.metric !== 'errors');
  const passingP99 = steps.filter((s) => s.outcome === 'pass').map((s) => s.latencyMs.p99);
  // Past saturation latency runs to the timeout; an axis that tall would flatten everything that
  // matters, so it stops at twice the SLO bound (or the passing curve) and higher points sit on top.
  const yMax = niceMax(
    Math.max(
      1,
      ...sloLimits.map((x) => 2 * x.limit),
      ...passingP99.map((v) => 1.5 * v),
      ...(sloLimits.length === 0 ? steps.map((s) => s.latencyMs.p99) : []),
    ),
  );
  const series: Series[] = (['p50', 'p95', 'p99'] as const).map((q) => ({
    name: q,
    points: steps.map((s): [number, number] => [s.offeredPerSec, s.latencyMs[q]]),
    dots: true,
  }));
  const extra = (p: Plot): string => {
    const parts: string[] = [];
    const { lowPerSec, highPerSec } = t.interval;
    if (lowPerSec !== null) {
      const x0 = p.x(lowPerSec);
      const x1 = highPerSec === null ? x0 + 2 : p.x(highPerSec);
      parts.push(
        `<rect x="${x0.toFixed(1)}" y="${p.top}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="${p.bottom - p.top}" fill="#38a169" fill-opacity="0.18"><title>${esc(`capacity interval [${formatRatePerSec(lowPerSec)}, ${highPerSec === null ? '…' : formatRatePerSec(highPerSec)})`)}</title></rect>`,
      );
    }
    for (const term of sloLimits) {
      const y = p.y(term.limit);
      parts.push(
        `<line x1="${p.left}" x2="${p.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#c53030" stroke-dasharray="6 4"/><text class="tick" x="${p.right - 4}" y="${(y - 4).toFixed(1)}" text-anchor="end" fill="#c53030">SLO ${esc(term.text)}</text>`,
      );
    }
    if (t.knee) {
      const x = p.x(t.knee.ratePerSec);
      parts.push(
        `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${p.top}" y2="${p.bottom}" stroke="#553c9a" stroke-dasharray="2 3"/><text class="tick" x="${(x + 4).toFixed(1)}" y="${p.top + 26}" fill="#553c9a">knee ${esc(formatRatePerSec(t.knee.ratePerSec))}</text>`,
      );
    }
    return parts.join('');
  };
  return chart(
    `${t.label}: latency against offered rate (log axis; shaded: capacity interval; points above ${yMax} ms drawn at the top)`,
    series,
    xScale,
    logTicks(lo, hi),
    yMax,
    'latency ms',
    extra,
  );
}

function stepTable(t: CapacityTargetResult): string {
  const n = (v: number): string => String(Number(v.toFixed(2)));
  const rows = t.steps
    .map((s) => {
      const failed = s.slo.terms.filter((x) => !x.pass).map((x) => x.term);
      return `<tr><td>${s.index + 1} ${s.phase}</td><td>${n(s.offeredPerSec)}</td><td>${n(s.achievedPerSec)}</td><td>${n(s.latencyMs.p50)}</td><td>${n(s.latencyMs.p95)}</td><td>${n(s.latencyMs.p99)}</td><td>${n(s.errorRate * 100)}</td><td>${s.late}</td><td>${s.generator.cpuPercent} / ${s.generator.eventLoopDelayP99Ms}</td><td>${s.slo.pass ? 'met' : esc(`broken: ${failed.join(', ')}`)}</td><td>${esc(s.outcome)}${s.retried ? ', run again' : ''}</td></tr>`;
    })
    .join('');
  return `<table><tr><th>step</th><th>offered /s</th><th>achieved /s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>errors %</th><th>late</th><th>generator cpu % / loop p99 ms</th><th>SLO</th><th>result</th></tr>${rows}</table>`;
}

function targetSection(t: CapacityTargetResult, r: CapacityResult): string {
  const ok = t.verdict === 'found' || t.verdict === 'max-reached';
  const capacity = t.capacityPerSec === null ? 'none' : formatRatePerSec(t.capacityPerSec);
  const interval =
    t.interval.lowPerSec !== null && t.interval.highPerSec !== null
      ? ` in [${formatRatePerSec(t.interval.lowPerSec)}, ${formatRatePerSec(t.interval.highPerSec)})`
      : '';
  return `<h2>${esc(t.label)}: ${esc(t.url)}</h2>
<p><strong class="${ok ? 'ok' : 'bad'}">capacity ${esc(capacity)}${esc(interval)}</strong> — ${esc(t.verdict)}${t.knee ? ` · knee ${esc(formatRatePerSec(t.knee.ratePerSec))} (p99 ${esc(ms(t.knee.latencyMs))})` : ''}</p>
<p>${esc(t.reason)}</p>
${t.suggestion ? `<p class="warn">${esc(t.suggestion)}</p>` : ''}${t.warnings.map((w) => `<p class="warn">${esc(w)}</p>`).join('')}
${curveChart(t, r)}
${stepTable(t)}`;
}

/** The report as one HTML document. */
export function renderCapacityHtml(r: CapacityResult): string {
  const s = r.settings;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>canary-gate capacity: ${esc(r.name)}</title>
<style>
${REPORT_CSS}h2{font-size:16px;margin-top:24px}
</style></head><body>
<h1>canary-gate capacity — ${esc(r.name)}</h1>
<p>SLO <code>${esc(r.slo.text)}</code>, latency from the intended send time (open model).</p>
${r.comparison ? `<p><strong>capacity ratio ${r.comparison.ratio === null ? '–' : r.comparison.ratio}</strong> — ${esc(r.comparison.note)}</p>` : ''}
${r.targets.map((t) => targetSection(t, r)).join('\n')}
<p class="tick">search from ${esc(formatRatePerSec(s.startPerSec))} ×${s.factor} to ${esc(formatRatePerSec(s.maxPerSec))}, precision ${Number((s.precision * 100).toFixed(2))}%, ${s.warmupMs} ms warm-up + ${s.stepDurationMs} ms per step, ${s.connections} connections, ${s.workers} worker(s) · ${esc(r.startedAt)} → ${esc(r.endedAt)} · ${esc(r.machine.cpuModel)} × ${r.machine.cpus}</p>
</body></html>
`;
}
