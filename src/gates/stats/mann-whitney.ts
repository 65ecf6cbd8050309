/**
 * Mann-Whitney U from two HDR histograms with the same settings: equal bucket indexes are ties,
 * given their average rank, and the variance carries the tie correction. Exact for the bucketed
 * data, O(buckets), whatever the sample sizes. Pure.
 */
import type { Histogram } from '../../hdr/histogram.js';
import { normalCdf } from './normal.js';

/** Bucket access that hdr-histogram-js's JS histograms provide. */
interface BucketAccess {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
}

/** The test's result, for "canary is slower than baseline". */
export interface MannWhitneyResult {
  /** U of the canary sample (the number of (canary, baseline) pairs with canary > baseline, ties ½). */
  u: number;
  /** Standardized U with tie correction (no continuity correction). */
  z: number;
  /** One-sided p-value for "canary values tend to be larger". */
  pGreater: number;
  /** Probability that a random canary request is slower than a random baseline one (U / n₁n₂). */
  commonLanguageEffect: number;
  n1: number;
  n2: number;
}

/** Mann-Whitney U from per-value counts (value order, equal positions are ties). */
export function mannWhitneyFromCounts(canary: readonly number[], baseline: readonly number[]): MannWhitneyResult {
  const length = Math.max(canary.length, baseline.length);
  let n1 = 0;
  let n2 = 0;
  for (let i = 0; i < length; i++) {
    n1 += canary[i] ?? 0;
    n2 += baseline[i] ?? 0;
  }
  const n = n1 + n2;
  let rankSum1 = 0;
  let below = 0;
  let tieTerm = 0;
  for (let i = 0; i < length; i++) {
    const a = canary[i] ?? 0;
    const b = baseline[i] ?? 0;
    const t = a + b;
    if (t === 0) continue;
    const averageRank = below + (t + 1) / 2;
    rankSum1 += a * averageRank;
    tieTerm += t ** 3 - t;
    below += t;
  }
  const u = rankSum1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = n > 1 ? ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))) : 0;
  const z = variance > 0 ? (u - mean) / Math.sqrt(variance) : 0;
  return { u, z, pGreater: 1 - normalCdf(z), commonLanguageEffect: n1 * n2 > 0 ? u / (n1 * n2) : 0.5, n1, n2 };
}

/** Mann-Whitney U of the canary histogram against the baseline histogram (same settings). */
export function mannWhitney(canary: Histogram, baseline: Histogram): MannWhitneyResult {
  const a = canary as unknown as BucketAccess;
  const b = baseline as unknown as BucketAccess;
  const length = Math.max(a.countsArrayLength, b.countsArrayLength);
  const ca: number[] = [];
  const cb: number[] = [];
  // Only occupied buckets matter; keep the arrays dense in value order.
  for (let i = 0; i < length; i++) {
    const x = i < a.countsArrayLength ? a.getCountAtIndex(i) : 0;
    const y = i < b.countsArrayLength ? b.getCountAtIndex(i) : 0;
    if (x + y > 0) {
      ca.push(x);
      cb.push(y);
    }
  }
  return mannWhitneyFromCounts(ca, cb);
}
