/** The terminal view of a canary run: live lines while it runs, and the summary of a RunResult. */

import { noResponse } from '../arm/arm.js';
import type { DriverEvent } from '../canary/driver.js';
import { renderMatrix } from '../gates/score.js';
import { type RunResult, regressBuildName } from '../result/run-result.js';
import { formatDurationMs } from '../scenario/units.js';
import { decisionWord } from './decision-word.js';
import { formatErrorCodes } from './load-summary.js';
import { runNotes } from './notes.js';

/** `err=N`, with the transport failures by code when there were any. */
const errors = (a: { errors: number; errorCodes?: Record<string, number> }): string => {
  const codes = formatErrorCodes(a.errorCodes);
  return `err=${a.errors}${codes === '' ? '' : ` (${codes})`}`;
};

/** Lines for a driver event (progress has its own view in run-progress.ts). */
export function describeEvent(event: DriverEvent): string | undefined {
  switch (event.type) {
    case 'preflight': {
      const healthy = event.results.filter((r) => r.healthy).length;
      const lines = [`pre-flight: ${healthy}/${event.results.length} services healthy`];
      for (const r of event.results) lines.push(`  ${r.healthy ? 'ok  ' : 'FAIL'} ${r.service} ${r.url} (${r.detail})`);
      return lines.join('\n');
    }
    case 'preflight-security': {
      const { checks, decision } = event.look;
      const passed = checks.filter((c) => c.status === 'pass').length;
      const lines = [`pre-flight security: ${passed}/${checks.length} checks pass → ${decision}`];
      for (const c of checks) if (c.status !== 'pass') lines.push(`    ${c.status.padEnd(12)} ${c.name}: ${c.reason}`);
      return lines.join('\n');
    }
    case 'step':
      return `step ${event.index + 1}: ${event.weight}% canary`;
    case 'progress':
      // Drawn by run-progress.ts, which knows whether it may redraw a line.
      return undefined;
    case 'verdict': {
      const lines = [
        `  verdict: ${event.verdict.decision}${event.extensions > 0 ? ` (after ${event.extensions} extension${event.extensions === 1 ? '' : 's'})` : ''} — ${event.verdict.reason}`,
      ];
      for (const c of event.verdict.checks) lines.push(`    ${c.status.padEnd(12)} ${c.name}: ${c.reason}`);
      if (event.verdict.decision !== 'extend' && event.verdict.checks.length > 0)
        lines.push(renderMatrix(event.verdict.score));
      return lines.join('\n');
    }
    case 'reset':
      return `resetting the router to 0% canary: ${event.reason}`;
    case 'hook':
      return `${event.name} hook: ${event.ok ? 'ok' : `failed: ${event.detail}`}`;
  }
}

/** The end-of-run summary. */
export function renderRunSummary(r: RunResult, files: { result: string; journal: string; reports?: string[] }): string {
  const lines = [`${r.decision.toUpperCase()}: ${r.reason}`];
  for (const step of r.steps) {
    const arms = Object.entries(step.arms)
      .map(
        ([arm, a]) =>
          `${arm} n=${a.requests} ${noResponse(a) ? 'no response' : `p99=${a.latencyMs.p99}ms`} ${errors(a)}`,
      )
      .join(', ');
    lines.push(
      `  step ${step.index + 1} ${String(step.weight).padStart(3)}%  ${formatDurationMs(step.durationMs)}  ${step.verdict.decision}  score ${step.verdict.score.score}/10  ${arms}`,
    );
  }
  for (const n of runNotes(r)) lines.push(`note: ${n}`);
  for (const w of r.warnings ?? []) lines.push(`warning: ${w}`);
  lines.push(`result:  ${files.result}`, `journal: ${files.journal}`);
  if (files.reports && files.reports.length > 0) lines.push(`reports: ${files.reports.join(', ')}`);
  return lines.join('\n');
}

/** The end-of-run summary of a regression run: verdict, checks, each round, each build. */
export function renderRegressSummary(r: RunResult, files: { result: string; reports?: string[] }): string {
  const lines = [`${decisionWord(r)}: ${r.reason}`];
  const step = r.steps[0];
  if (step) {
    for (const [arm, a] of Object.entries(step.arms)) {
      lines.push(
        `  ${regressBuildName(arm).padEnd(9)} n=${a.requests} p50=${a.latencyMs.p50}ms p99=${a.latencyMs.p99}ms ${errors(a)} (all rounds)`,
      );
    }
    for (const c of step.verdict.checks) lines.push(`    ${c.status.padEnd(12)} ${c.name}: ${c.reason}`);
  }
  for (const round of r.regress?.rounds ?? []) {
    const cells = round.order.map((arm) => {
      const a = round.arms[arm];
      return a ? `${regressBuildName(arm)} p50=${a.p50Ms.toFixed(2)} p99=${a.p99Ms.toFixed(2)}` : arm;
    });
    lines.push(`  round ${round.index + 1}: ${cells.join(' → ')}`);
  }
  for (const b of r.regress?.builds ?? []) {
    lines.push(`  ${regressBuildName(b.arm)}: ${b.description}, healthy after ${b.startupMs} ms`);
  }
  for (const w of r.warnings ?? []) lines.push(`warning: ${w}`);
  lines.push(`result:  ${files.result}`);
  if (files.reports && files.reports.length > 0) lines.push(`reports: ${files.reports.join(', ')}`);
  return lines.join('\n');
}
