/** The HTML tables of the report: decision matrix of the last step, the per-step table, and the slowest traced requests. */
import { latencyText } from '../arm/arm.js';
import type { RunResult } from '../result/run-result.js';

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
  const rows = r.steps
    .map((s) => {
      const b = s.arms.baseline;
      const c = s.arms.canary;
      return `<tr><td>${s.index + 1}</td><td>${s.weight}%</td><td>${b?.requests ?? '–'}</td><td>${c?.requests ?? '–'}</td><td>${latencyText(b, 'p99')}</td><td>${latencyText(c, 'p99')}</td><td>${esc(s.verdict.decision)}</td></tr>`;
    })
    .join('');
  return `${matrix}<table><tr><th>step</th><th>weight</th><th>baseline n</th><th>canary n</th><th>baseline p99</th><th>canary p99</th><th>decision</th></tr>${rows}</table>`;
}

/**
 * Every check's sentence per step, as the Markdown summary lists them, under the step's own
 * verdict reason (which names the windows left out, "[left out, deciding nothing: …]").
 */
export function renderChecksHtml(r: RunResult): string {
  if (r.steps.length === 0) return '';
  const steps = r.steps
    .map((s) => {
      const items = s.verdict.checks
        .map((c) => `<li><b>${esc(c.status)}</b> ${esc(c.name)}: ${esc(c.reason)}</li>`)
        .join('');
      return `<h3>step ${s.index + 1} (${s.weight}%): ${esc(s.verdict.decision)}</h3><p>${esc(s.verdict.reason)}</p><ul>${items}</ul>`;
    })
    .join('');
  return `<h2>Checks</h2>${steps}`;
}

/** The slowest traced requests of each step and arm, linked to their traces; empty without tracing. */
export function renderSlowestHtml(r: RunResult): string {
  const rows = slowestRows(r)
    .map(({ step, weight, arm, request: q }) => {
      const id = esc(q.traceId);
      const trace =
        q.url && /^https?:\/\//.test(q.url) ? `<a href="${esc(q.url).replaceAll('"', '&quot;')}">${id}</a>` : id;
      return `<tr><td>${step}</td><td>${weight}%</td><td>${esc(arm)}</td><td>${q.latencyMs} ms</td><td>${q.status || esc(q.error ?? '–')}</td><td>${esc(q.endpoint)}</td><td style="text-align:left;font-family:monospace">${trace}</td></tr>`;
    })
    .join('');
  if (rows === '') return '';
  return `<h2 style="font-size:16px">Slowest traced requests</h2><table><tr><th>step</th><th>weight</th><th>arm</th><th>latency</th><th>status</th><th>endpoint</th><th>trace</th></tr>${rows}</table>`;
}

/** Every kept traced request with its step and arm, in step order, slowest first within an arm. */
export function slowestRows(r: RunResult): {
  step: number;
  weight: number;
  arm: string;
  request: NonNullable<RunResult['steps'][number]['arms'][string]['slowest']>[number];
}[] {
  return r.steps.flatMap((s) =>
    Object.entries(s.arms).flatMap(([arm, a]) =>
      (a.slowest ?? []).map((request) => ({ step: s.index + 1, weight: s.weight, arm, request })),
    ),
  );
}
