/**
 * One arm as the checks read it: the measured latencies (without the windows left out), the
 * requests that failed without a latency, the error counts, and the windows that remain, with
 * the design effects (bursts) computed from them. Pure.
 */
import type { Histogram } from '../hdr/histogram.js';
import { bucketsOf, countAbove, midpoint, subtractBuckets } from './stats/buckets.js';
import { countDesignEffect, MIN_WINDOWS, sumDesignEffect, varianceOfSum } from './stats/design-effect.js';
import type { LatencySample } from './stats/quantile-interval.js';
import { type ArmWindow, type WindowExclusion, windowFailures } from './windows.js';

/** An arm ready for the checks. */
export interface JudgedArm {
  /** Latencies and failures that may decide checks. */
  sample: LatencySample;
  /** Requests (failed ones included). */
  requests: number;
  /** Errors without 429s. */
  errors: number;
  /** 429 responses. */
  throttled: number;
  /** Measured time, ms, without the windows left out. */
  durationMs: number;
  /** The windows that remain, in time order, as latency samples with their error counts. */
  windows: readonly { sample: LatencySample; requests: number; errors: number; durationMs: number }[];
  /** How sentences name the arm. */
  label: string;
}

/** One arm's measurements of a step, as the judge's input gives them. */
export interface ArmStepMeasurements {
  /** Latency from the intended send, µs. */
  latency: Histogram;
  /** Finished requests, failed ones included (those without a latency rank above every latency). */
  requests: number;
  /** Errors among them, 429s included. */
  errors: number;
  /** 429 responses (reported apart: throttling is not the canary failing). */
  throttled: number;
  /** Measured time, ms (for throughput). */
  durationMs: number;
  /**
   * Optional per-second windows of the same requests, in time order. With them the judge sees
   * bursts (intervals widen by their design effect) and leaves out windows marked `excluded`
   * and windows a transient hit in both arms at once. Without them requests count as independent.
   */
  windows?: readonly ArmWindow[];
  /**
   * Set on a baseline pooled from earlier steps (1-based step numbers), as at the 100 % step:
   * sentences name it, and its windows are not simultaneous with the canary's.
   */
  pooledSteps?: readonly number[];
}

/** Apply the exclusions to an arm and count its failures at `failureUs`. */
export function judgedArm(
  raw: ArmStepMeasurements,
  label: string,
  excluded: ReadonlyMap<number, WindowExclusion>,
  failureUs: number,
): JudgedArm {
  const all = raw.windows ?? [];
  const out = all.filter((w) => excluded.has(w.startMs));
  const kept = all.filter((w) => !excluded.has(w.startMs));
  const buckets = subtractBuckets(
    bucketsOf(raw.latency),
    out.map((w) => w.latency),
  );
  const sum = (f: (w: ArmWindow) => number) => out.reduce((s, w) => s + f(w), 0);
  const requests = Math.max(0, raw.requests - sum((w) => w.requests));
  const throttledOut = sum((w) => w.throttled ?? 0);
  const errorsOut = sum((w) => w.errors) - throttledOut;
  const throttled = Math.max(0, raw.throttled - throttledOut);
  // Counts from a file may disagree (errors above requests): clamp rather than let a test see p > 1.
  const errors = Math.min(requests, Math.max(0, raw.errors - raw.throttled - errorsOut));
  return {
    sample: { buckets, failures: Math.max(0, requests - buckets.total), failureUs },
    requests,
    errors,
    throttled,
    durationMs: Math.max(0, raw.durationMs - sum((w) => w.durationMs)),
    windows: kept.map((w) => ({
      sample: { buckets: w.latency, failures: windowFailures(w), failureUs },
      requests: w.requests,
      errors: w.errors - (w.throttled ?? 0),
      durationMs: w.durationMs,
    })),
    label,
  };
}

/** Design effect of a quantile: how the requests above its estimate cluster in windows. */
export function quantileDesignEffect(arm: JudgedArm, estimateUs: number): number {
  const hits = arm.windows.map(
    (w) => countAbove(w.sample.buckets, estimateUs) + (w.sample.failureUs > estimateUs ? w.sample.failures : 0),
  );
  return countDesignEffect(
    hits,
    arm.windows.map((w) => w.sample.buckets.total + w.sample.failures),
  );
}

/** Design effect of the error rate: how errors cluster in windows (error storms). */
export function errorDesignEffect(arm: JudgedArm): number {
  return countDesignEffect(
    arm.windows.map((w) => w.errors),
    arm.windows.map((w) => w.requests),
  );
}

/** Design effect of the request count against a Poisson count (throughput). */
export function countOverdispersion(arm: JudgedArm): number {
  if (arm.windows.length < MIN_WINDOWS || arm.requests === 0) return 1;
  const counts = arm.windows.map((w) => w.requests);
  const mean = counts.reduce((s, c) => s + c, 0) / counts.length;
  return Math.max(1, varianceOfSum(counts.map((c) => c - mean)) / arm.requests);
}

/** Mean and per-request variance of a sample (µs), failures at failureUs; ∞ when that is ∞. */
export function meanOf(s: LatencySample): { mean: number; variance: number; n: number } {
  const n = s.buckets.total + s.failures;
  if (n === 0) return { mean: Number.NaN, variance: Number.NaN, n };
  let sum = s.failures > 0 ? s.failures * s.failureUs : 0;
  for (let i = 0; i < s.buckets.low.length; i++) sum += (s.buckets.count[i] as number) * midpoint(s.buckets, i);
  const mean = sum / n;
  if (!Number.isFinite(mean)) return { mean, variance: Number.POSITIVE_INFINITY, n };
  let ss = s.failures > 0 ? s.failures * (s.failureUs - mean) ** 2 : 0;
  for (let i = 0; i < s.buckets.low.length; i++)
    ss += (s.buckets.count[i] as number) * (midpoint(s.buckets, i) - mean) ** 2;
  return { mean, variance: n > 1 ? ss / (n - 1) : 0, n };
}

/** Design effect of the mean: how the per-window latency sums spread beyond independent requests. */
export function meanDesignEffect(arm: JudgedArm, perRequestVariance: number): number {
  const sums = arm.windows.map((w) => {
    const m = meanOf(w.sample);
    return Number.isFinite(m.mean) ? m.mean * m.n : 0;
  });
  return sumDesignEffect(
    sums,
    arm.windows.map((w) => w.sample.buckets.total + w.sample.failures),
    perRequestVariance,
  );
}
