/**
 * The Markdown report of a capacity run: per target the capacity with its interval, the knee,
 * the verdict in words, and the latency-throughput curve as a table; the capacity ratio with
 * --compare. For people and for GitHub's step summary. Renders a CapacityResult and nothing else.
 */
import type { CapacityResult, CapacityTargetResult } from '../capacity/result.js';
import { formatRatePerSec } from '../scenario/units.js';

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const ms = (v: number): string => `${Number(v.toFixed(2))} ms`;

const BADGE: Record<CapacityTargetResult['verdict'], string> = {
  found: '✅ found',
  'max-reached': '✅ at least the maximum',
  'slo-fails-at-start': '❌ no compliant rate',
  'generator-limited': '⚠️ generator-limited',
  'step-limit': '⚠️ out of steps',
  interrupted: '⚠️ interrupted',
};

function target(t: CapacityTargetResult): string[] {
  const lines: string[] = [];
  const capacity = t.capacityPerSec === null ? 'none' : formatRatePerSec(t.capacityPerSec);
  const interval =
    t.interval.lowPerSec !== null && t.interval.highPerSec !== null
      ? ` — interval [${formatRatePerSec(t.interval.lowPerSec)}, ${formatRatePerSec(t.interval.highPerSec)}) (highest passing, lowest failing rate)`
      : '';
  lines.push(`### ${cell(t.label)}: ${cell(t.url)} — ${BADGE[t.verdict]}`, '');
  lines.push(`**Capacity ${capacity}**${interval}`, '', cell(t.reason), '');
  if (t.knee) lines.push(`Knee: ${formatRatePerSec(t.knee.ratePerSec)} (p99 ${ms(t.knee.latencyMs)})`, '');
  if (t.suggestion) lines.push(`> 💡 ${cell(t.suggestion)}`, '');
  for (const w of t.warnings) lines.push(`> ⚠️ ${cell(w)}`, '');
  lines.push(
    '| step | phase | offered | achieved | p50 | p95 | p99 | errors | late | generator cpu / loop p99 | SLO | result |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of t.steps) {
    const failed = s.slo.terms.filter((x) => !x.pass).map((x) => x.term);
    lines.push(
      `| ${s.index + 1} | ${s.phase} | ${formatRatePerSec(s.offeredPerSec)} | ${formatRatePerSec(s.achievedPerSec)} | ${ms(s.latencyMs.p50)} | ${ms(s.latencyMs.p95)} | ${ms(s.latencyMs.p99)} | ${Number((s.errorRate * 100).toFixed(2))}% | ${s.late} | ${s.generator.cpuPercent}% / ${s.generator.eventLoopDelayP99Ms} ms | ${s.slo.pass ? 'met' : cell(`broken: ${failed.join(', ')}`)} | ${s.outcome}${s.retried ? ', run again' : ''} |`,
    );
  }
  lines.push('');
  return lines;
}

/** The report as Markdown. */
export function renderCapacityMarkdown(r: CapacityResult): string {
  const lines = [`## canary-gate capacity: ${cell(r.name)}`, '', `SLO \`${r.slo.text}\``, ''];
  if (r.comparison) {
    lines.push(
      `**Capacity ratio ${r.comparison.ratio === null ? '–' : r.comparison.ratio}** — ${cell(r.comparison.note)}`,
      '',
    );
  }
  for (const t of r.targets) lines.push(...target(t));
  const s = r.settings;
  lines.push(
    `Search: from ${formatRatePerSec(s.startPerSec)} ×${s.factor} up to ${formatRatePerSec(s.maxPerSec)}, then bisection to ${Number((s.precision * 100).toFixed(2))}%; each step ${s.warmupMs} ms warm-up + ${s.stepDurationMs} ms measured, ${s.cooldownMs} ms cool-down after a failing step; ${s.connections} connections, ${s.workers} worker${s.workers === 1 ? '' : 's'}. Latency counts from the intended send time (open model).`,
    '',
    `${r.startedAt} → ${r.endedAt} · ${cell(r.machine.cpuModel)} × ${r.machine.cpus}`,
    '',
  );
  return lines.join('\n');
}
