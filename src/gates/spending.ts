/**
 * Error budgets over the looks of a step. A step is judged at several looks; each look may spend
 * only the part of the step's false-rollback budget (alpha) and of the false-promotion budget
 * (beta) that a spending function releases by then, so neither is exceeded however many looks
 * there are. The clock is information — canary samples so far over the samples the step plans —
 * not the longest the step could be extended to: by the planned end of the step most of both
 * budgets is spent (O'Brien-Fleming-type, Lan-DeMets, so early looks need overwhelming evidence),
 * and a fixed share is kept for the extensions up to maxStepDuration, released evenly. Pure; the
 * driver keeps the state between looks.
 */
import { normalCdf, normalQuantile } from './stats/normal.js';

/** Share of each budget kept for extensions past the planned step, when the step can be extended. */
export const EXTENSION_SHARE = 0.2;

/** O'Brien-Fleming-type spending: the part of `total` released by information t ∈ [0, 1]. */
export function obrienFleming(total: number, t: number): number {
  if (t <= 0 || total <= 0) return 0;
  // Exactly the budget at the end (Φ's 1e-7 error must not leave a sliver unspent or overspent).
  if (t >= 1) return total;
  const z = normalQuantile(1 - total / 2);
  return Math.min(total, 2 - 2 * normalCdf(z / Math.sqrt(Math.min(1, t))));
}

/**
 * Budget spent by information t (samples over planned samples), for a step that can run to
 * tMax ≥ 1 (maximum samples over planned): (1 − share) by O'Brien-Fleming up to t = 1, then the
 * share linearly up to tMax. Without extensions (tMax = 1) the whole budget goes to the plan.
 */
export function spentBy(total: number, t: number, tMax = 1): number {
  if (t <= 0) return 0;
  if (tMax <= 1 + 1e-9) return obrienFleming(total, t);
  const planned = obrienFleming((1 - EXTENSION_SHARE) * total, Math.min(1, t));
  const extra = t <= 1 ? 0 : EXTENSION_SHARE * total * Math.min(1, (t - 1) / (tMax - 1));
  return Math.min(total, planned + extra);
}

/** Requests a step plans to send to each arm: rate × weight × duration. */
export function plannedStepSamples(
  ratePerSec: number,
  weightPercent: number,
  durationMs: number,
): { canary: number; baseline: number } {
  const total = (ratePerSec * durationMs) / 1000;
  return {
    canary: Math.round((total * weightPercent) / 100),
    baseline: Math.round((total * (100 - weightPercent)) / 100),
  };
}

/** What the driver keeps between the looks of a step: how far each budget has been spent. */
export interface SpendingState {
  /** Information at the last look (alpha is spent at every look). */
  alphaAt: number;
  /** Information at the last look that could pass (beta is spent only where passing is allowed). */
  betaAt: number;
}

/** A step's first look starts here. */
export const SPENDING_START: SpendingState = { alphaAt: 0, betaAt: 0 };

/** The budgets of one look and the state for the next. */
export interface LookBudget {
  /** False-rollback budget of this look for all comparisons together (judgeStep's `alpha`). */
  alpha: number;
  /** False-promotion budget of this look per check (judgeStep's `beta`); 0 when nothing may pass. */
  beta: number;
  /** Information at this look: canary samples over planned ones. */
  information: number;
  state: SpendingState;
}

/** The step's budgets and plan, fixed for all its looks. */
export interface StepBudget {
  /** The step's false-rollback budget: the run's statistics.alpha over its steps. */
  alpha: number;
  /** The false-promotion budget per check (statistics.beta): every step must pass, so it is not split. */
  beta: number;
  /** Canary samples the step plans (rate × weight × stepDuration). */
  plannedSamples: number;
  /** Canary samples the longest step would hold (rate × weight × maxStepDuration). */
  maxSamples: number;
}

/** The run's false-rollback budget shared by its steps (each can roll back on its own). */
export function stepAlpha(runAlpha: number, steps: number): number {
  return runAlpha / Math.max(1, steps);
}

/**
 * The budgets of a look with `samples` canary samples so far. `mayPass`: this look may pass a
 * check (beta is spent only at such looks); `finalLook`: the last look, which spends what is left.
 */
export function lookBudget(
  step: StepBudget,
  state: SpendingState,
  samples: number,
  mayPass: boolean,
  finalLook: boolean,
): LookBudget {
  const planned = Math.max(1, step.plannedSamples);
  const tMax = Math.max(1, step.maxSamples / planned);
  const t = finalLook ? tMax : Math.min(tMax, samples / planned);
  const at = Math.max(t, state.alphaAt);
  const alpha = Math.max(0, spentBy(step.alpha, at, tMax) - spentBy(step.alpha, state.alphaAt, tMax));
  const beta = mayPass ? Math.max(0, spentBy(step.beta, at, tMax) - spentBy(step.beta, state.betaAt, tMax)) : 0;
  return {
    alpha,
    beta,
    information: t,
    state: { alphaAt: at, betaAt: mayPass ? at : state.betaAt },
  };
}
