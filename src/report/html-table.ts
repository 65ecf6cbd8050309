/** The HTML tables of the report: decision matrix of the last step, and the per-step table. */
import type { RunResult } from '../canary/run-result.js';

const esc = (t: string): string => t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Score matrix and step table as HTML. */
export function renderHtmlTables(r: RunResult): string {
  const last = r.steps[r.steps.length - 1];
  const matrix = last
    ? `<table><tr><th>group</th><th>weight</th><th>pass</th><th>fail</th><th>open</th><th>score</th></tr>${last.verdict.score.groups
        .map(
          (g) =>
            `<tr><td>${esc(g.group)}</td><td>${g.weight}</td><td>${g.passed}/${g.checks}</td><td>${g.failed}</td><td>${g.inconclusive}</td><td>${g.score}</td></tr>`,
        )
        .join(
          '',
        )}<tr><th>score</th><td colspan="5">${last.verdict.score.score}/10 → ${last.verdict.score.go ? 'GO' : 'NO-GO'}</td></tr></table>`
    : '';
  const ms = (v: number | undefined) => (v === undefined ? '–' : `${v} ms`);
  const rows = r.steps
    .map((s) => {
      const b = s.arms.baseline;
      const c = s.arms.canary;
      return `<tr><td>${s.index + 1}</td><td>${s.weight}%</td><td>${b?.requests ?? '–'}</td><td>${c?.requests ?? '–'}</td><td>${ms(b?.latencyMs.p99)}</td><td>${ms(c?.latencyMs.p99)}</td><td>${esc(s.verdict.decision)}</td></tr>`;
    })
    .join('');
  return `${matrix}<table><tr><th>step</th><th>weight</th><th>baseline n</th><th>canary n</th><th>baseline p99</th><th>canary p99</th><th>decision</th></tr>${rows}</table>`;
}
