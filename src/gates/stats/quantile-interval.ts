/**
 * Distribution-free bounds for quantiles from order statistics: the number of samples below the
 * true q-quantile is Binomial(n, q), so exact binomial ranks bound it between two order
 * statistics whatever the latency distribution, at every n (binomialRanks sums the binomial
 * exactly; test/unit/gates/calibration.test.ts checks it against the incomplete beta up to
 * n = 10⁷). Ranks are read off the buckets: a lower bound at its bucket's lowest equivalent
 * value, an upper bound at its highest, so bucketing never makes an interval narrower than the
 * samples allow. Requests that failed without a latency rank above every measured one. Pure.
 */
import { binomialRanks } from './binomial.js';
import { type Buckets, bucketAtRank } from './buckets.js';

/** 1-based ranks of an interval's ends; undefined where n is too small for that side. */
export interface QuantileRanks {
  lower: number | undefined;
  upper: number | undefined;
}

/** Ranks of a two-sided `confidence` interval for the q-quantile of n samples (exact binomial). */
export function quantileRanks(n: number, q: number, confidence: number): QuantileRanks {
  const a = (1 - confidence) / 2;
  return binomialRanks(n, q, a, a);
}

/** One arm's latencies as the judge reads them. */
export interface LatencySample {
  /** Measured latencies. */
  buckets: Buckets;
  /** Requests that failed without a latency (connection refused, reset): they rank above all others. */
  failures: number;
  /** The latency failures stand for (µs): the request timeout when known, else +∞. */
  failureUs: number;
}

/** A quantile of one arm with one-sided bounds, µs. */
export interface QuantileBounds {
  /** Point estimate, as HDR reads a percentile (the highest equivalent value of its bucket). */
  estimateUs: number;
  /** Holds with probability ≥ 1 − aLower; undefined: too few samples to bound it from below. */
  lowerUs: number | undefined;
  /** Holds with probability ≥ 1 − aUpper; undefined: too few samples to bound it from above. */
  upperUs: number | undefined;
  /** Samples (failures included). */
  n: number;
  /** Samples the bounds count as independent: n divided by the design effect. */
  nEffective: number;
}

/** The value at a 1-based rank: in the buckets (at their low or high end) or among the failures. */
function valueAtRank(s: LatencySample, rank: number, end: 'low' | 'high'): number {
  if (rank > s.buckets.total) return s.failureUs;
  const i = bucketAtRank(s.buckets, rank);
  return (end === 'low' ? s.buckets.low[i] : s.buckets.high[i]) as number;
}

/** The q-quantile's point estimate (µs), as HDR reads a percentile, so it matches the reports' figures. */
export function quantileEstimate(s: LatencySample, q: number): number {
  const n = s.buckets.total + s.failures;
  if (n === 0) return Number.NaN;
  return valueAtRank(s, Math.max(1, Math.floor(q * n + 0.5)), 'high');
}

/**
 * The q-quantile of a sample with order-statistic bounds at one-sided levels aLower and aUpper.
 * A design effect above 1 (bursts: samples that come in clusters carry less information) widens
 * the ranks as if n / designEffect samples were independent.
 */
export function quantileBounds(
  s: LatencySample,
  q: number,
  aLower: number,
  aUpper: number,
  designEffect = 1,
): QuantileBounds {
  const n = s.buckets.total + s.failures;
  if (n === 0) return { estimateUs: Number.NaN, lowerUs: undefined, upperUs: undefined, n, nEffective: 0 };
  const deff = Math.max(1, designEffect);
  const nEff = Math.max(1, Math.floor(n / deff));
  const scale = n / nEff;
  const ranks = binomialRanks(nEff, q, aLower, aUpper);
  const lower = ranks.lower === undefined ? undefined : Math.max(1, Math.floor(ranks.lower * scale));
  const upper = ranks.upper === undefined ? undefined : Math.min(n, Math.ceil(ranks.upper * scale));
  return {
    estimateUs: quantileEstimate(s, q),
    lowerUs: lower === undefined ? undefined : valueAtRank(s, lower, 'low'),
    upperUs: upper === undefined ? undefined : valueAtRank(s, upper, 'high'),
    n,
    nEffective: n / deff,
  };
}

/** Fewest samples for which the q-quantile's interval has both ends (the smallest n that can bound it). */
export function samplesToBound(q: number, confidence: number): number {
  // Both ends exist once q^n and (1-q)^n drop below α/2; for q ≥ 0.5 the upper end binds.
  const alpha = 1 - confidence;
  const tail = Math.min(q, 1 - q);
  return Math.ceil(Math.log(alpha / 2) / Math.log(1 - tail));
}

/** Fewest samples for which a one-sided bound at level a exists for the q-quantile (the binding side). */
export function samplesForBound(q: number, a: number, side: 'lower' | 'upper'): number {
  // The upper end exists once P(all n below the quantile) = qⁿ ≤ a; the lower end once (1 − q)ⁿ ≤ a.
  const p = side === 'upper' ? q : 1 - q;
  return Math.ceil(Math.log(a) / Math.log(p));
}
