/**
 * Distribution-free confidence intervals for quantiles from order statistics: the number of
 * samples below the true q-quantile is Binomial(n, q), so ranks l and u with
 * P(l ≤ X < u) ≥ confidence bound it between the l-th and u-th smallest samples, whatever the
 * distribution. The ranks are read off the histogram. Pure.
 */
import type { Histogram } from '../../hdr/histogram.js';
import { logChoose } from './binomial.js';
import { normalQuantile } from './normal.js';

/** 1-based ranks of the interval's ends; undefined where n is too small for that side. */
export interface QuantileRanks {
  lower: number | undefined;
  upper: number | undefined;
}

/** Above this n the normal approximation to the binomial is used (its error is far below a rank). */
const EXACT_UP_TO = 2000;

/**
 * Ranks (1-based) of a two-sided `confidence` interval for the q-quantile of n samples:
 * lower = the largest l with P(X < l) ≤ α/2, upper = the smallest u with P(X ≥ u) ≤ α/2,
 * X ~ Binomial(n, q). A side is undefined when even the extreme sample does not reach it.
 */
export function quantileRanks(n: number, q: number, confidence: number): QuantileRanks {
  const alpha = 1 - confidence;
  if (n <= 0) return { lower: undefined, upper: undefined };
  if (n <= EXACT_UP_TO) {
    // One pass over the binomial pmf: cdf[k] = P(X ≤ k). lower = largest l with cdf[l-1] ≤ α/2;
    // upper = smallest u with 1 - cdf[u-1] ≤ α/2.
    const lp = Math.log(q);
    const lq = Math.log(1 - q);
    let cdf = 0;
    let lower: number | undefined;
    let upper: number | undefined;
    for (let k = 0; k < n; k++) {
      cdf += Math.exp(logChoose(n, k) + k * lp + (n - k) * lq);
      if (cdf <= alpha / 2) lower = k + 1;
      if (upper === undefined && 1 - cdf <= alpha / 2) upper = k + 1;
    }
    return { lower, upper };
  }
  const z = normalQuantile(1 - alpha / 2);
  const mean = n * q;
  const sd = Math.sqrt(n * q * (1 - q));
  const lower = Math.floor(mean - z * sd);
  const upper = Math.ceil(mean + z * sd) + 1;
  return { lower: lower >= 1 ? lower : undefined, upper: upper <= n ? upper : undefined };
}

/** A quantile's estimate and interval, in ms. */
export interface QuantileInterval {
  /** Point estimate, ms. */
  estimate: number;
  /** Lower end, ms (undefined: too few samples to bound it from below). */
  lower: number | undefined;
  /** Upper end, ms (undefined: too few samples to bound it from above). */
  upper: number | undefined;
  /** Samples behind it. */
  n: number;
}

/** The value (µs) of the r-th smallest recorded sample (1-based), as HDR reads ranks. */
function valueAtRank(h: Histogram, r: number): number {
  // getValueAtPercentile(p) returns the value at count index ceil(p/100 · n); aim just under rank r.
  const p = (100 * (r - 0.5)) / h.totalCount;
  return Math.min(h.getValueAtPercentile(p), h.maxValue);
}

/** The q-quantile of a histogram with its distribution-free interval. */
export function quantileInterval(h: Histogram, q: number, confidence: number): QuantileInterval {
  const n = h.totalCount;
  if (n === 0) return { estimate: Number.NaN, lower: undefined, upper: undefined, n };
  const ranks = quantileRanks(n, q, confidence);
  return {
    estimate: Math.min(h.getValueAtPercentile(q * 100), h.maxValue) / 1000,
    lower: ranks.lower === undefined ? undefined : valueAtRank(h, ranks.lower) / 1000,
    upper: ranks.upper === undefined ? undefined : valueAtRank(h, ranks.upper) / 1000,
    n,
  };
}

/** Fewest samples for which the q-quantile's interval has both ends (the smallest n that can bound it). */
export function samplesToBound(q: number, confidence: number): number {
  // Both ends exist once q^n and (1-q)^n drop below α/2; for q ≥ 0.5 the upper end binds.
  const alpha = 1 - confidence;
  const tail = Math.min(q, 1 - q);
  return Math.ceil(Math.log(alpha / 2) / Math.log(1 - tail));
}
