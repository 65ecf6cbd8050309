/**
 * A step's error budgets, one rule for the rollout driver and serve's runner: alpha over the
 * rollout's steps, beta per check, both spent over the canary samples the step plans and its
 * extensions (gates/spending.ts).
 */
import { plannedStepSamples, type StepBudget, stepAlpha } from '../gates/spending.js';
import type { RunScenario } from '../scenario/schema.js';

/**
 * A step's budgets: alpha and beta spent over the canary samples the step plans (rate × weight ×
 * stepDuration) and its extensions. A closed model has no rate: the plan is the rate seen so far.
 */
export function stepBudget(scenario: RunScenario, weight: number): (samples: number, elapsedMs: number) => StepBudget {
  const t = scenario.traffic;
  const { statistics } = scenario.gates;
  const maxMs = Math.max(t.maxStepDuration ?? t.stepDuration, t.stepDuration);
  const base = { alpha: stepAlpha(statistics.alpha, scenario.steps.length), beta: statistics.beta };
  if (t.rate !== undefined) {
    const planned = plannedStepSamples(t.rate, weight, t.stepDuration).canary;
    const most = plannedStepSamples(t.rate, weight, maxMs).canary;
    return () => ({ ...base, plannedSamples: planned, maxSamples: most });
  }
  let fixed: StepBudget | undefined;
  return (samples, elapsedMs) => {
    fixed ??= {
      ...base,
      plannedSamples: Math.max(1, Math.round((samples * t.stepDuration) / Math.max(1, elapsedMs))),
      maxSamples: Math.max(1, Math.round((samples * maxMs) / Math.max(1, elapsedMs))),
    };
    return fixed;
  };
}
