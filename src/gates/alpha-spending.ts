/**
 * Alpha spending over time to maxStepDuration, as today's driver calls it. The judge's own
 * budgets (alpha and beta over the planned step's samples) are in spending.ts; the driver moves
 * to lookBudget there when it keeps the load running across looks (phase 2 of #16). Pure.
 */
import { obrienFleming } from './spending.js';

/** Budget spent by fraction t (0 < t ≤ 1): 2 − 2Φ(z₁₋α/₂ / √t). Equals alpha at t = 1. */
export function spentBy(alpha: number, t: number): number {
  return obrienFleming(alpha, t);
}

/** The part of the budget a look at fraction t may use, after an earlier look at tBefore. */
export function lookAlpha(alpha: number, tBefore: number, t: number): number {
  return Math.max(0, spentBy(alpha, t) - spentBy(alpha, tBefore));
}
