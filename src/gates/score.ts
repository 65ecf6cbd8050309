/**
 * Scoring: checks belong to weighted groups; a group scores the share of its checks that pass; the
 * run's score is the weighted mean on a 0–10 scale, and GO needs the pass score and no failed
 * critical check. The decision matrix shows each group's part. Pure.
 */
import type { GroupScore, Scorecard } from './scorecard.js';
import type { CheckResult } from './verdict.js';

export type { GroupScore, Scorecard } from './scorecard.js';

/** Score checks by group. `groupOf` names each check's group; `weights` default to 1. */
export function scoreChecks(
  results: readonly (CheckResult & { group: string })[],
  weights: Readonly<Record<string, number>>,
  passScore: number,
): Scorecard {
  const byGroup = new Map<string, GroupScore>();
  for (const r of results) {
    const g = byGroup.get(r.group) ?? {
      group: r.group,
      weight: weights[r.group] ?? 1,
      checks: 0,
      passed: 0,
      failed: 0,
      inconclusive: 0,
      score: 0,
    };
    g.checks++;
    if (r.status === 'pass') g.passed++;
    else if (r.status === 'fail' || r.status === 'error') g.failed++;
    else g.inconclusive++;
    byGroup.set(r.group, g);
  }
  const groups = [...byGroup.values()];
  for (const g of groups) g.score = Number(((10 * g.passed) / g.checks).toFixed(2));
  const totalWeight = groups.reduce((s, g) => s + g.weight, 0);
  const weighted = (f: (g: GroupScore) => number) =>
    totalWeight === 0 ? 10 : groups.reduce((s, g) => s + g.weight * f(g), 0) / totalWeight;
  const score = Number(weighted((g) => (10 * g.passed) / g.checks).toFixed(2));
  const bestPossible = Number(weighted((g) => (10 * (g.passed + g.inconclusive)) / g.checks).toFixed(2));
  const criticalFailed = results.some((r) => r.critical && r.status === 'fail');
  return { groups, score, bestPossible, go: !criticalFailed && score >= passScore };
}

/** The decision matrix as text. */
export function renderMatrix(card: Scorecard): string {
  const rows = card.groups.map(
    (g) =>
      `    ${g.group.padEnd(12)} w=${String(g.weight).padEnd(4)} pass ${g.passed}/${g.checks}  fail ${g.failed}  open ${g.inconclusive}  score ${g.score}`,
  );
  return [...rows, `    score ${card.score}/10 → ${card.go ? 'GO' : 'NO-GO'}`].join('\n');
}
