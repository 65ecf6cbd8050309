/**
 * HDR histogram settings in one place, with encode, decode, merge and percentile reads beside
 * them. Values are integer microseconds with 3 significant digits.
 *
 * The JS implementation is used on purpose: the WASM one silently falls back to JS unless
 * `initWebAssembly()` ran first, and leaks unless every histogram is `destroy()`ed.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

import { encodedHistogramProblem } from './limits.js';

export type { Histogram };

/** Highest value a histogram tracks: one hour in microseconds. Larger values are clamped. */
export const HIGHEST_TRACKABLE_US = 3_600_000_000;

/** Significant decimal digits kept by every histogram. */
export const SIGNIFICANT_DIGITS = 3;

/** A fresh histogram with the project's settings (µs, 1 µs … 1 h, 3 digits, fixed size). */
export function createHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    bitBucketSize: 32,
    autoResize: false,
    useWebAssembly: false,
  });
}

/** Record a latency given in (fractional) milliseconds, rounded to whole microseconds and clamped. */
export function recordMs(histogram: Histogram, ms: number): void {
  let us = Math.round(ms * 1000);
  if (us < 1) us = 1;
  else if (us > HIGHEST_TRACKABLE_US) us = HIGHEST_TRACKABLE_US;
  histogram.recordValue(us);
}

/**
 * Compressed base64 form of a histogram (the HdrHistogram standard encoding). It keeps buckets,
 * so after decoding the maximum reads as the top of its bucket (within 0.1 %).
 */
export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/**
 * Decode a histogram written by `encodeHistogram` (or any HdrHistogram implementation), within
 * the limits of limits.ts; throws an Error saying what is wrong with the encoding.
 */
export function decodeHistogram(encoded: string): Histogram {
  const problem = encodedHistogramProblem(encoded);
  if (problem !== undefined) throw new Error(problem);
  const decoded = decodeFromCompressedBase64(encoded, 32, false);
  // One with our settings (every one we encode) is ours as it is: a copy would pass over all
  // ~23 000 buckets, which a sharded run's coordinator paid for every histogram of every second.
  if (hasOurSettings(decoded)) return decoded;
  // Others are re-homed into our settings, so merges never hit range mismatches.
  const histogram = createHistogram();
  histogram.add(decoded);
  return histogram;
}

/** What makes two JS histograms' buckets the same. */
const SETTINGS = [
  'lowestDiscernibleValue',
  'highestTrackableValue',
  'numberOfSignificantValueDigits',
  'countsArrayLength',
  'autoResize',
] as const;
let reference: Histogram | undefined;

/** Whether `h` is built exactly as createHistogram() builds one (class, range, precision, size). */
function hasOurSettings(h: Histogram): boolean {
  reference ??= createHistogram();
  const a = h as unknown as Record<string, unknown>;
  const b = reference as unknown as Record<string, unknown>;
  return h.constructor === reference.constructor && SETTINGS.every((key) => a[key] === b[key]);
}

/** Sum of several histograms; exact, since buckets add. */
export function mergeHistograms(histograms: Iterable<Histogram>): Histogram {
  const merged = createHistogram();
  for (const h of histograms) merged.add(h);
  return merged;
}

/** The percentile spectrum canary-gate reports, in milliseconds. */
export interface LatencySpectrumMs {
  /** Smallest recorded value. */
  min: number;
  /** Arithmetic mean. */
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  /** Largest recorded value. */
  max: number;
}

const usToMs = (us: number): number => Math.round(us) / 1000;

/** Percentile spectrum of a histogram in ms; all zeros when it is empty. */
export function spectrumMs(histogram: Histogram): LatencySpectrumMs {
  if (histogram.totalCount === 0) {
    return { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  }
  // Percentiles read the top of their bucket; never report one above the recorded maximum.
  const max = histogram.maxValue;
  const at = (percentile: number): number => usToMs(Math.min(histogram.getValueAtPercentile(percentile), max));
  return {
    min: usToMs(histogram.minNonZeroValue),
    mean: Math.round(histogram.mean) / 1000,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: usToMs(max),
  };
}

/** Bucket access that hdr-histogram-js's JS histograms provide. */
interface IndexAccess {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
}

/**
 * Cumulative counts at or below each bound (ms, ascending), as Prometheus histogram buckets
 * count them. A bucket is counted by its lowest equivalent value, so each count is exact to the
 * histogram's 3 significant digits.
 */
export function cumulativeCountsMs(histogram: Histogram, boundsMs: readonly number[]): number[] {
  const h = histogram as unknown as IndexAccess;
  const bounds = boundsMs.map((ms) => ms * 1000);
  const counts = bounds.map(() => 0);
  let b = 0;
  let below = 0;
  for (let i = 0; i < h.countsArrayLength; i++) {
    const count = h.getCountAtIndex(i);
    if (count === 0) continue;
    const value = h.valueFromIndex(i);
    while (b < bounds.length && value > (bounds[b] as number)) {
      counts[b] = below;
      b++;
    }
    if (b === bounds.length) break;
    below += count;
  }
  for (; b < bounds.length; b++) counts[b] = below;
  return counts;
}
