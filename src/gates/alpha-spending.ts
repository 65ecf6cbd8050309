/**
 * Alpha spending (Lan-DeMets, O'Brien-Fleming type): a step is judged at several looks, and each
 * look may spend only the part of the step's false-rollback budget that the spending function
 * releases by then. Early looks get almost nothing, so only a clear regression rolls back early;
 * the budget over all looks never exceeds alpha. Pure.
 */
import { normalCdf, normalQuantile } from './stats/normal.js';

/** Budget spent by information fraction t (0 < t ≤ 1): 2 − 2Φ(z₁₋α/₂ / √t). Equals alpha at t = 1. */
export function spentBy(alpha: number, t: number): number {
  if (t <= 0) return 0;
  const z = normalQuantile(1 - alpha / 2);
  return Math.min(alpha, 2 - 2 * normalCdf(z / Math.sqrt(Math.min(1, t))));
}

/** The part of the budget a look at fraction t may use, after an earlier look at tBefore. */
export function lookAlpha(alpha: number, tBefore: number, t: number): number {
  return Math.max(0, spentBy(alpha, t) - spentBy(alpha, tBefore));
}
