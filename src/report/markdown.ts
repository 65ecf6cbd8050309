/**
 * The Markdown summary of a RunResult: decision, score and decision matrix, warnings, and a
 * per-step table of both arms (requests, p95, p99 with the canary's change in %) and checks.
 * For people and for GitHub's step summary. Renders a finished RunResult and nothing else.
 */
import { latencyText, noResponse } from '../arm/arm.js';
import { type RunResult, regressBuildName } from '../result/run-result.js';
import { decisionWord } from './decision-word.js';
import { slowestRows } from './html-table.js';
import { formatErrorCodes } from './load-summary.js';
import { runNotes } from './notes.js';
import { securityMarkdown } from './security.js';

const pct = (canary: number | undefined, baseline: number | undefined): string =>
  canary === undefined || baseline === undefined || baseline === 0
    ? ''
    : ` (${canary >= baseline ? '+' : ''}${(((canary - baseline) / baseline) * 100).toFixed(1)}%)`;
const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The summary as Markdown. */
export function renderMarkdown(r: RunResult): string {
  const lines: string[] = [];
  const badge = `${r.decision === 'promote' ? '✅' : r.decision === 'rollback' ? '❌' : '⚠️'} ${decisionWord(r)}`;
  lines.push(`## canary-gate: ${badge} — ${cell(r.scenario.name)}`, '', cell(r.reason), '');
  for (const n of runNotes(r)) lines.push(`> ℹ️ ${cell(n)}`, '');
  for (const w of r.warnings ?? []) lines.push(`> ⚠️ ${cell(w)}`, '');
  const last = r.steps[r.steps.length - 1];
  if (last) {
    lines.push(
      `**Score ${last.verdict.score.score}/10 → ${last.verdict.score.go ? 'GO' : 'NO-GO'}** (step ${last.index + 1})`,
      '',
    );
    lines.push('| group | weight | pass | fail | open | score |', '|---|---|---|---|---|---|');
    for (const g of last.verdict.score.groups)
      lines.push(
        `| ${cell(g.group)} | ${g.weight} | ${g.passed}/${g.checks} | ${g.failed} | ${g.inconclusive} | ${g.score} |`,
      );
    lines.push('');
  }
  lines.push(
    '| step | weight | baseline requests | canary requests | baseline p95 | canary p95 | baseline p99 | canary p99 | decision |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of r.steps) {
    const b = s.arms.baseline;
    const c = s.arms.canary;
    // A change in % only between two arms that both have latencies.
    const both = b && c && !noResponse(b) && !noResponse(c);
    lines.push(
      `| ${s.index + 1} | ${s.weight}% | ${b?.requests ?? '–'} | ${c?.requests ?? '–'} | ${latencyText(b, 'p95')} | ${latencyText(c, 'p95')}${both ? pct(c.latencyMs.p95, b.latencyMs.p95) : ''} | ${latencyText(b, 'p99')} | ${latencyText(c, 'p99')}${both ? pct(c.latencyMs.p99, b.latencyMs.p99) : ''} | ${s.verdict.decision} |`,
    );
  }
  if (r.regress) {
    // Rounds show whether a drift hit one build more.
    lines.push(
      '',
      '### Regression rounds',
      '',
      '| round | order | baseline p50 | baseline p99 | candidate p50 | candidate p99 |',
    );
    lines.push('|---|---|---|---|---|---|');
    for (const round of r.regress.rounds) {
      const b = round.arms.baseline;
      const c = round.arms.canary;
      const ms = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(2)} ms`);
      lines.push(
        `| ${round.index + 1} | ${round.order.map(regressBuildName).join(' → ')} | ${ms(b?.p50Ms)} | ${ms(b?.p99Ms)} | ${ms(c?.p50Ms)} | ${ms(c?.p99Ms)} |`,
      );
    }
    lines.push('');
    for (const b of r.regress.builds)
      lines.push(`- ${regressBuildName(b.arm)}: ${cell(b.description)}, healthy after ${b.startupMs} ms`);
  }
  lines.push(...securityMarkdown(r, cell));
  const coded = r.steps.flatMap((s) =>
    Object.entries(s.arms)
      .map(([arm, a]) => ({ step: s, arm, codes: formatErrorCodes(a.errorCodes) }))
      .filter((e) => e.codes !== ''),
  );
  if (coded.length > 0) {
    // The error classes lump client-side failures into "other"; the codes name them.
    lines.push('', '### Transport errors by code', '', '| step | arm | codes |', '|---|---|---|');
    for (const { step, arm, codes } of coded)
      lines.push(
        `| ${step.index + 1} (${step.weight}%) | ${cell(r.regress ? regressBuildName(arm) : arm)} | ${cell(codes)} |`,
      );
  }
  lines.push('', '### Checks', '');
  for (const s of r.steps) {
    lines.push(`- step ${s.index + 1} (${s.weight}%) **${s.verdict.decision}**: ${cell(s.verdict.reason)}`);
    for (const c of s.verdict.checks)
      lines.push(`- step ${s.index + 1} (${s.weight}%) **${c.status}** ${cell(c.name)}: ${cell(c.reason)}`);
  }
  const slowest = slowestRows(r);
  if (slowest.length > 0) {
    lines.push(
      '',
      '### Slowest traced requests',
      '',
      '| step | arm | latency | status | endpoint | trace |',
      '|---|---|---|---|---|---|',
    );
    for (const { step, weight, arm, request: q } of slowest) {
      const trace = q.url && /^https?:\/\//.test(q.url) ? `[\`${q.traceId}\`](${q.url})` : `\`${q.traceId}\``;
      lines.push(
        `| ${step} (${weight}%) | ${cell(arm)} | ${q.latencyMs} ms | ${q.status || cell(q.error ?? '–')} | ${cell(q.endpoint)} | ${trace} |`,
      );
    }
  }
  lines.push('', `run \`${r.run}\` · ${r.startedAt} → ${r.endedAt} · ${cell(r.router)}`, '');
  return lines.join('\n');
}
