/**
 * A capacity run on the terminal: one progress line per step while it runs (stderr), and the
 * end-of-run summary (the curve as a table, the capacity with its interval, the knee, the
 * comparison). Renders a finished CapacityResult or CapacityStep and nothing else.
 */
import type { CapacityResult, CapacityStep, CapacityTargetResult } from '../capacity/result.js';
import { formatRatePerSec } from '../scenario/units.js';

const ms = (v: number): string => (v >= 1000 ? `${Number((v / 1000).toFixed(2))}s` : `${Number(v.toFixed(1))}ms`);
const pct = (fraction: number): string => `${Number((fraction * 100).toFixed(2))}%`;

/** The line printed when a step finishes. */
export function renderStepLine(label: string, step: CapacityStep): string {
  const outcome =
    step.outcome === 'pass'
      ? 'pass'
      : step.outcome === 'fail'
        ? 'FAIL'
        : `GENERATOR-LIMITED (not the service)${step.retried ? '; running this rate once more' : ''}`;
  const failed = step.slo.terms.filter((t) => !t.pass).map((t) => t.term);
  return `  ${label} step ${step.index + 1} (${step.phase}) ${formatRatePerSec(step.offeredPerSec).padStart(8)}: achieved ${formatRatePerSec(step.achievedPerSec)}  p50 ${ms(step.latencyMs.p50)}  p95 ${ms(step.latencyMs.p95)}  p99 ${ms(step.latencyMs.p99)}  errors ${pct(step.errorRate)}  late ${step.late}  generator cpu ${step.generator.cpuPercent}% loop p99 ${step.generator.eventLoopDelayP99Ms}ms → ${outcome}${failed.length > 0 ? ` (${failed.join(', ')})` : ''}`;
}

function targetLines(t: CapacityTargetResult): string[] {
  const lines: string[] = [];
  const capacity =
    t.capacityPerSec === null
      ? 'none'
      : `${formatRatePerSec(t.capacityPerSec)}${t.interval.highPerSec === null ? ' (lower bound)' : ` in [${formatRatePerSec(t.interval.lowPerSec as number)}, ${formatRatePerSec(t.interval.highPerSec)})`}`;
  lines.push(`${t.label} ${t.url}: ${t.verdict} — capacity ${capacity}`);
  lines.push(`  ${t.reason}`);
  if (t.knee) lines.push(`  knee: ${formatRatePerSec(t.knee.ratePerSec)} (p99 ${ms(t.knee.latencyMs)})`);
  if (t.suggestion) lines.push(`  suggestion: ${t.suggestion}`);
  for (const w of t.warnings) lines.push(`  warning: ${w}`);
  const header = ['offered', 'achieved', 'p50', 'p95', 'p99', 'errors', 'late', 'result'];
  const rows = [...t.steps]
    .sort((a, b) => a.offeredPerSec - b.offeredPerSec)
    .map((s) => [
      formatRatePerSec(s.offeredPerSec),
      formatRatePerSec(s.achievedPerSec),
      ms(s.latencyMs.p50),
      ms(s.latencyMs.p95),
      ms(s.latencyMs.p99),
      pct(s.errorRate),
      String(s.late),
      s.retried ? `${s.outcome}, run again` : s.outcome,
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const r of [header, ...rows]) lines.push(`  ${r.map((c, i) => c.padStart(widths[i] as number)).join('  ')}`);
  return lines;
}

/** The end-of-run summary. */
export function renderCapacitySummary(r: CapacityResult): string {
  const lines = [`capacity: ${r.name} — SLO ${r.slo.text}`];
  for (const t of r.targets) lines.push(...targetLines(t));
  if (r.comparison) {
    lines.push(`ratio: ${r.comparison.ratio === null ? 'none' : r.comparison.ratio} — ${r.comparison.note}`);
  }
  return lines.join('\n');
}
