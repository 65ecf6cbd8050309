/**
 * The plan-time power of a staged run, as `validate` and the start of `run` print it: per step,
 * what each check catches and how often an identical canary passes at the planned end, with a
 * warning for each check the plan says is not long enough to pass on evidence. Pure.
 */
import { planPower, type StepPower } from '../gates/plan-power.js';
import type { RunScenario, Scenario } from '../scenario/schema.js';

/** The power plan of a scenario, or why there is none. */
export interface PowerReport {
  /** Per step; empty when the plan cannot be made. */
  steps: StepPower[];
  /** One line per step. */
  lines: string[];
  /** One line per check that is not long enough ("step 1 (10 %): p99 catches …"). */
  warnings: string[];
  /** Why there is no plan (a closed model has no planned sample count). */
  note?: string;
}

/** True for the modes that run staged steps (canary, regression). */
export function isRunScenario(s: Scenario): s is RunScenario {
  return s.mode === 'canary' || s.mode === 'regression';
}

/** The plan-time power of a canary or regression scenario. */
export function scenarioPower(s: RunScenario): PowerReport {
  const t = s.traffic;
  if (t.rate === undefined) {
    return {
      steps: [],
      lines: [],
      warnings: [],
      note: 'plan-time power: a closed model (no traffic.rate) plans no sample count; the judge decides on what it measures',
    };
  }
  const { statistics, checks } = s.gates;
  const steps = planPower({
    ratePerSec: t.rate,
    steps: s.steps,
    stepDurationMs: t.stepDuration,
    ...(t.maxStepDuration !== undefined ? { maxStepDurationMs: t.maxStepDuration } : {}),
    checks,
    alpha: statistics.alpha,
    beta: statistics.beta,
    designEffect: statistics.designEffect,
  });
  const warnings: string[] = [];
  for (const step of steps) {
    for (const c of step.checks) {
      if (c.enough === false) warnings.push(`step ${step.step} (${step.weight} %): ${c.sentence}`);
    }
  }
  return { steps, lines: steps.map((step) => step.sentence), warnings };
}
