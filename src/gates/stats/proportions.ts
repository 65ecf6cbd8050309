/**
 * Tests that the canary's error proportion exceeds the baseline's: Fisher's exact test (one-sided,
 * hypergeometric) for small counts, the pooled two-proportion z-test otherwise. Pure.
 */
import { logChoose } from './binomial.js';
import { normalCdf } from './normal.js';

/** One-sided Fisher exact p for "canary's error share is larger": P(X ≥ x1) under the hypergeometric. */
export function fisherGreater(errors1: number, n1: number, errors2: number, n2: number): number {
  const k = errors1 + errors2;
  const n = n1 + n2;
  const lo = Math.max(0, k - n2);
  const hi = Math.min(k, n1);
  const logTotal = logChoose(n, k);
  let p = 0;
  for (let x = Math.max(errors1, lo); x <= hi; x++) p += Math.exp(logChoose(n1, x) + logChoose(n2, k - x) - logTotal);
  return Math.min(1, p);
}

/** One-sided pooled two-proportion z-test p for "canary's error share is larger". */
export function twoProportionGreater(errors1: number, n1: number, errors2: number, n2: number): number {
  const p1 = errors1 / n1;
  const p2 = errors2 / n2;
  const pooled = (errors1 + errors2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return p1 > p2 ? 0 : 1;
  return 1 - normalCdf((p1 - p2) / se);
}

/** Fisher's exact test while any expected cell count is under 5 (the textbook rule), else z. */
export function errorShareGreater(
  errors1: number,
  n1: number,
  errors2: number,
  n2: number,
): { p: number; method: 'fisher' | 'z' } {
  const pooled = (errors1 + errors2) / (n1 + n2);
  const smallest = Math.min(n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled));
  return smallest < 5
    ? { p: fisherGreater(errors1, n1, errors2, n2), method: 'fisher' }
    : { p: twoProportionGreater(errors1, n1, errors2, n2), method: 'z' };
}
