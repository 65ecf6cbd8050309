/**
 * Error proportions against a margin, and counts per second. The relative error-rate check asks
 * whether p_canary ≤ ratio · p_baseline + slack; its score test (Farrington-Manning for a
 * difference, Miettinen-Nurminen's form for a ratio; here both at once) standardises the observed
 * distance from the margin by its variance under the margin itself, with both rates fitted by
 * maximum likelihood on that line. Counts may be effective (divided by a design effect). Pure.
 */
import { normalQuantile } from './normal.js';

/** The score statistic for p_c − ratio·p_b − slack, and what went into it. */
export interface MarginScore {
  /** p̂_c − ratio · p̂_b − slack: above 0 the canary is past the margin. */
  distance: number;
  /** Standard error of the distance under the margin (restricted maximum likelihood). */
  se: number;
  /** distance / se. */
  z: number;
}

const term = (count: number, p: number) => (count === 0 ? 0 : count / p);

/**
 * Score test of H: p_c = ratio · p_b + slack from ec of nc and eb of nb. Undefined when the
 * margin's variance is zero (no errors anywhere and no slack: nothing can be shown).
 */
export function marginScoreTest(
  ec: number,
  nc: number,
  eb: number,
  nb: number,
  ratio: number,
  slack: number,
): MarginScore | undefined {
  if (nc <= 0 || nb <= 0) return undefined;
  const pbMax = Math.min(1, (1 - slack) / ratio);
  if (!(pbMax > 0)) return undefined;
  // The log-likelihood on the margin is concave in p_b: bisect its derivative.
  const slope = (pb: number) => {
    const pc = ratio * pb + slack;
    return ratio * (term(ec, pc) - term(nc - ec, 1 - pc)) + term(eb, pb) - term(nb - eb, 1 - pb);
  };
  let lo = 0;
  let hi = pbMax;
  const eps = 1e-15;
  let pb: number;
  if (slope(lo + eps) <= 0) pb = 0;
  else if (slope(hi - eps) >= 0) pb = hi;
  else {
    for (let i = 0; i < 200 && hi - lo > 1e-16; i++) {
      const mid = (lo + hi) / 2;
      if (slope(mid) > 0) lo = mid;
      else hi = mid;
    }
    pb = (lo + hi) / 2;
  }
  const pc = ratio * pb + slack;
  const variance = (pc * (1 - pc)) / nc + (ratio * ratio * pb * (1 - pb)) / nb;
  if (!(variance > 0)) return undefined;
  const distance = ec / nc - ratio * (eb / nb) - slack;
  const se = Math.sqrt(variance);
  return { distance, se, z: distance / se };
}

/**
 * One-sided bounds for a Poisson mean from a count (Wilson-Hilferty; within 1 % of the exact
 * gamma bounds from a count of 1 up).
 */
export function countBounds(count: number, aLower: number, aUpper: number): { lower: number; upper: number } {
  const zl = normalQuantile(1 - aLower);
  const zu = normalQuantile(1 - aUpper);
  const lower = count <= 0 ? 0 : count * (1 - 1 / (9 * count) - zl / (3 * Math.sqrt(count))) ** 3;
  const k = count + 1;
  const upper = k * (1 - 1 / (9 * k) + zu / (3 * Math.sqrt(k))) ** 3;
  return { lower: Math.max(0, lower), upper };
}
