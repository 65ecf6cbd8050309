/**
 * A latency histogram reduced to its occupied buckets, ascending. Per-second windows are kept by
 * the thousand over a step, and a full HDR histogram is ~94 KB however few values it holds; this
 * form is proportional to what was recorded. Buckets are the project's HDR buckets (µs, 3
 * significant digits), so histograms and windows line up bucket for bucket. Pure.
 */
import type { Histogram } from '../../hdr/histogram.js';

/** Occupied buckets of a latency histogram, ascending. */
export interface Buckets {
  /** Lowest value each bucket stands for (µs). */
  readonly low: readonly number[];
  /** Highest value each bucket stands for (µs). */
  readonly high: readonly number[];
  /** Samples in each bucket. */
  readonly count: readonly number[];
  /** Sum of counts. */
  readonly total: number;
}

/** No samples. */
export const EMPTY_BUCKETS: Buckets = { low: [], high: [], count: [], total: 0 };

/** What hdr-histogram-js's JS histograms expose for walking their counts. */
interface IndexAccess {
  countsArrayLength: number;
  maxValue: number;
  totalCount: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  countsArrayIndex(value: number): number;
}

/** The occupied buckets of an HDR histogram (walks its counts up to the maximum once). */
export function bucketsOf(histogram: Histogram): Buckets {
  const h = histogram as unknown as IndexAccess;
  const low: number[] = [];
  const high: number[] = [];
  const count: number[] = [];
  if (h.totalCount === 0) return EMPTY_BUCKETS;
  const last = Math.min(h.countsArrayLength - 1, h.countsArrayIndex(h.maxValue));
  let seen = 0;
  for (let i = 0; i <= last && seen < h.totalCount; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    const v = h.valueFromIndex(i);
    low.push(v);
    high.push(h.highestEquivalentValue(v));
    count.push(c);
    seen += c;
  }
  return { low, high, count, total: seen };
}

/** Sub-bucket magnitude of the project's histograms: 3 significant digits need 2¹¹ sub-buckets. */
const SUB_BUCKET_HALF_MAGNITUDE = 10;

/** The HDR bucket [low, high] (µs) that holds an integer value, as createHistogram() buckets it. */
export function hdrBucketOf(valueUs: number): [number, number] {
  const v = Math.max(0, Math.floor(valueUs));
  const bucket = v < 1 ? 0 : Math.max(Math.floor(Math.log2(v)) - SUB_BUCKET_HALF_MAGNITUDE, 0);
  const size = 2 ** bucket;
  const low = Math.floor(v / size) * size;
  return [low, low + size - 1];
}

/**
 * Buckets of integer µs values, without building a histogram (the judge simulation makes
 * thousands of windows). Values are sorted in place.
 */
export function bucketsFromUs(valuesUs: number[] | Float64Array): Buckets {
  // A typed array sorts numerically by default, several times faster than with a comparator.
  if (valuesUs instanceof Float64Array) valuesUs.sort();
  else valuesUs.sort((a, b) => a - b);
  const low: number[] = [];
  const high: number[] = [];
  const count: number[] = [];
  let top = -1;
  for (const value of valuesUs) {
    // Sorted: a value within the current bucket needs no bucket arithmetic.
    if (value <= top) {
      count[count.length - 1] = (count[count.length - 1] as number) + 1;
      continue;
    }
    const [lo, hi] = hdrBucketOf(value);
    low.push(lo);
    high.push(hi);
    count.push(1);
    top = hi;
  }
  return { low, high, count, total: valuesUs.length };
}

/** Sum of bucket sets (`sign` −1 subtracts; counts never go below zero). */
function combine(parts: readonly Buckets[], signs: readonly number[]): Buckets {
  const byLow = new Map<number, { high: number; count: number }>();
  parts.forEach((b, p) => {
    const sign = signs[p] ?? 1;
    for (let i = 0; i < b.low.length; i++) {
      const lo = b.low[i] as number;
      const entry = byLow.get(lo);
      if (entry) entry.count += sign * (b.count[i] as number);
      else byLow.set(lo, { high: b.high[i] as number, count: sign * (b.count[i] as number) });
    }
  });
  const lows = [...byLow.keys()].sort((a, b) => a - b);
  const low: number[] = [];
  const high: number[] = [];
  const count: number[] = [];
  let total = 0;
  for (const lo of lows) {
    const entry = byLow.get(lo) as { high: number; count: number };
    if (entry.count <= 0) continue;
    low.push(lo);
    high.push(entry.high);
    count.push(entry.count);
    total += entry.count;
  }
  return { low, high, count, total };
}

/** Buckets of several sets together (exact: equal buckets add). */
export function mergeBuckets(parts: readonly Buckets[]): Buckets {
  if (parts.length === 1) return parts[0] as Buckets;
  return combine(parts, []);
}

/** `from` without the samples of `remove` (windows left out of a step). */
export function subtractBuckets(from: Buckets, remove: readonly Buckets[]): Buckets {
  if (remove.length === 0) return from;
  return combine([from, ...remove], [1, ...remove.map(() => -1)]);
}

/** Samples in buckets wholly above `valueUs`. */
export function countAbove(b: Buckets, valueUs: number): number {
  let n = 0;
  for (let i = b.low.length - 1; i >= 0 && (b.low[i] as number) > valueUs; i--) n += b.count[i] as number;
  return n;
}

/** Index of the bucket holding the r-th smallest sample (1-based); -1 when r exceeds the total. */
export function bucketAtRank(b: Buckets, rank: number): number {
  let seen = 0;
  for (let i = 0; i < b.count.length; i++) {
    seen += b.count[i] as number;
    if (seen >= rank) return i;
  }
  return -1;
}

/** Middle of a bucket (µs): the value a sample in it stands for in sums and comparisons. */
export const midpoint = (b: Buckets, i: number): number => ((b.low[i] as number) + (b.high[i] as number)) / 2;
