/**
 * The per-second time series of a run: one point per interval with counts and exact percentiles
 * of that interval. Memory stays bounded in run length: past `maxPoints`, neighbouring points are
 * coalesced pairwise (counts add; percentiles keep the larger of the two, an upper bound).
 */
import { createHistogram, spectrumMs } from '../hdr/histogram.js';
import { emptyStatusClasses, type IntervalArmSample } from './recorder.js';

/** One point of the series for one arm. */
export interface IntervalPoint {
  /** Start of the interval, ms since the run started. */
  startMs: number;
  /** Length of the interval, ms. */
  durationMs: number;
  /** Requests finished in the interval. */
  requests: number;
  /** Errors in the interval. */
  errors: number;
  /** Latency percentiles of the interval, ms. */
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** An interval every generator has reported: its points and its merged samples per arm. */
export interface CompletedInterval {
  /** One point per arm. */
  points: Record<string, IntervalPoint>;
  /** The samples merged over generators, per arm. */
  samples: Record<string, IntervalArmSample>;
}

/** Default bound on points kept per arm (an hour at 1 s resolution). */
export const DEFAULT_MAX_POINTS = 3600;

/** Collects interval samples from one or more generators into bounded per-arm series. */
export class IntervalSeries {
  readonly #maxPoints: number;
  readonly #intervalMs: number;
  readonly #points = new Map<string, IntervalPoint[]>();
  /** Samples of an interval still waiting for other generators, keyed by interval index. */
  readonly #pending = new Map<number, { arrived: number; arms: Map<string, IntervalArmSample> }>();
  readonly #generators: number;

  /** `generators` samples make one interval complete. */
  constructor(generators = 1, intervalMs = 1000, maxPoints = DEFAULT_MAX_POINTS) {
    this.#generators = generators;
    this.#intervalMs = intervalMs;
    this.#maxPoints = maxPoints;
  }

  /**
   * Add one generator's sample of interval `index`; returns the completed points, and the samples
   * merged over generators, when that was the last generator to report it, else undefined.
   */
  add(index: number, arms: Record<string, IntervalArmSample>): CompletedInterval | undefined {
    let entry = this.#pending.get(index);
    if (!entry) {
      entry = { arrived: 0, arms: new Map() };
      this.#pending.set(index, entry);
    }
    for (const [arm, sample] of Object.entries(arms)) {
      const into = entry.arms.get(arm);
      if (into) {
        into.requests += sample.requests;
        into.errors += sample.errors;
        into.latency.add(sample.latency);
        sample.statusClasses.forEach((n, i) => {
          into.statusClasses[i] = (into.statusClasses[i] ?? 0) + n;
        });
      } else {
        const latency = createHistogram();
        latency.add(sample.latency);
        const statusClasses = emptyStatusClasses();
        sample.statusClasses.forEach((n, i) => {
          statusClasses[i] = n;
        });
        entry.arms.set(arm, { requests: sample.requests, errors: sample.errors, latency, statusClasses });
      }
    }
    entry.arrived++;
    if (entry.arrived < this.#generators) return undefined;
    this.#pending.delete(index);
    return { points: this.#complete(index, entry.arms), samples: Object.fromEntries(entry.arms) };
  }

  /** Complete any intervals some generator never reported (its run ended first). */
  flush(): void {
    for (const [index, entry] of [...this.#pending.entries()].sort((a, b) => a[0] - b[0])) {
      this.#pending.delete(index);
      this.#complete(index, entry.arms);
    }
  }

  /** The series per arm. */
  points(): Record<string, IntervalPoint[]> {
    return Object.fromEntries(this.#points);
  }

  #complete(index: number, arms: Map<string, IntervalArmSample>): Record<string, IntervalPoint> {
    const out: Record<string, IntervalPoint> = {};
    for (const [arm, sample] of arms) {
      const spectrum = spectrumMs(sample.latency);
      const point: IntervalPoint = {
        startMs: index * this.#intervalMs,
        durationMs: this.#intervalMs,
        requests: sample.requests,
        errors: sample.errors,
        p50Ms: spectrum.p50,
        p90Ms: spectrum.p90,
        p95Ms: spectrum.p95,
        p99Ms: spectrum.p99,
        maxMs: spectrum.max,
      };
      out[arm] = point;
      let series = this.#points.get(arm);
      if (!series) {
        series = [];
        this.#points.set(arm, series);
      }
      series.push(point);
      if (series.length > this.#maxPoints) this.#points.set(arm, coalescePairs(series));
    }
    return out;
  }
}

/** Halve a series by merging neighbours; an odd last point stays as it is. */
export function coalescePairs(series: readonly IntervalPoint[]): IntervalPoint[] {
  const out: IntervalPoint[] = [];
  for (let i = 0; i < series.length; i += 2) {
    const a = series[i] as IntervalPoint;
    const b = series[i + 1];
    if (!b) {
      out.push(a);
      continue;
    }
    out.push({
      startMs: a.startMs,
      durationMs: a.durationMs + b.durationMs,
      requests: a.requests + b.requests,
      errors: a.errors + b.errors,
      p50Ms: Math.max(a.p50Ms, b.p50Ms),
      p90Ms: Math.max(a.p90Ms, b.p90Ms),
      p95Ms: Math.max(a.p95Ms, b.p95Ms),
      p99Ms: Math.max(a.p99Ms, b.p99Ms),
      maxMs: Math.max(a.maxMs, b.maxMs),
    });
  }
  return out;
}
