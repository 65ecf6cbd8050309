/**
 * The security section's part of the reports: the pre-flight look (which no step holds) and, for
 * HTML, every security finding of the run in one table. Steps' findings are also among each step's
 * checks, so Markdown and JUnit list them there. Renders a finished RunResult and nothing else.
 */
import type { CheckResult } from '../gates/verdict.js';
import type { RunResult } from '../result/run-result.js';
import { esc } from './svg-chart.js';

/** Where a security check was seen ("pre-flight", "step 1 (50%)") and the check. */
export function securityRows(r: RunResult): { at: string; check: CheckResult }[] {
  const pre = (r.preflightSecurity?.checks ?? []).map((check) => ({ at: 'pre-flight', check }));
  const steps = r.steps.flatMap((s) =>
    s.verdict.checks
      .filter((c) => c.group.startsWith('security'))
      .map((check) => ({ at: `step ${s.index + 1} (${s.weight}%)`, check })),
  );
  return [...pre, ...steps];
}

/** The pre-flight look as Markdown lines; none without a security section. */
export function securityMarkdown(r: RunResult, cell: (text: string) => string): string[] {
  const pre = r.preflightSecurity;
  if (!pre) return [];
  return [
    '',
    `### Pre-flight security: ${pre.decision}`,
    '',
    ...pre.checks.map((c) => `- **${c.status}** ${cell(c.name)}: ${cell(c.reason)}`),
  ];
}

/** Every security finding of the run as one HTML table; empty without a security section. */
export function securityHtml(r: RunResult): string {
  const rows = securityRows(r);
  if (rows.length === 0) return '';
  const body = rows
    .map(
      ({ at, check: c }) =>
        `<tr><td>${esc(at)}</td><td>${esc(c.name)}</td><td class="${c.status === 'pass' ? 'ok' : 'bad'}">${esc(c.status)}</td><td>${esc(c.reason)}</td></tr>`,
    )
    .join('');
  return `<h2>Security</h2><table><tr><th>when</th><th>check</th><th>status</th><th>why</th></tr>${body}</table>`;
}
