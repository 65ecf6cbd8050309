/**
 * The per-second time series of a run: one point per interval with counts and exact percentiles
 * of that interval. Memory stays bounded in run length: past `maxPoints`, neighbouring points are
 * coalesced pairwise (counts add; percentiles keep the larger of the two, an upper bound).
 */
import type { Histogram } from '../hdr/histogram.js';
import { type GeneratorLimitReason, generatorLimit } from './generator-limit.js';
import { addGeneratorSample, emptyGeneratorSample, type GeneratorSample } from './generator-meter.js';
import type { IntervalArmSample } from './recorder.js';

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

/**
 * The generator's signals in one interval, merged over threads, with the verdict of the
 * generator-limit rule: a window where `limited` is true is no evidence about the service, and a
 * judge excludes or flags it.
 */
export interface GeneratorIntervalPoint extends GeneratorSample {
  /** Start of the interval, ms since measuring started. */
  startMs: number;
  /** The generator's own queue made the interval's intended-time latency. */
  limited: boolean;
  /** Why (generator-limit.ts). */
  reasons: GeneratorLimitReason[];
}

/** An interval every generator has reported: its points and its merged samples per arm. */
export interface CompletedInterval {
  /** Its index (0 is the first measured second). */
  index: number;
  /** One point per arm. */
  points: Record<string, IntervalPoint>;
  /** The samples merged over generators, per arm. */
  samples: Record<string, IntervalArmSample>;
  /** The generator's signals and verdict. */
  generator: GeneratorIntervalPoint;
}

/** Default bound on points kept per arm (an hour at 1 s resolution). */
export const DEFAULT_MAX_POINTS = 3600;

/** Collects interval samples from one or more generators into bounded per-arm series. */
export class IntervalSeries {
  readonly #maxPoints: number;
  readonly #intervalMs: number;
  readonly #points = new Map<string, IntervalPoint[]>();
  /** Samples of an interval still waiting for other generators, keyed by interval index. */
  readonly #pending = new Map<
    number,
    { arrived: number; arms: Map<string, IntervalArmSample>; generator: GeneratorSample }
  >();
  #generatorPoints: GeneratorIntervalPoint[] = [];
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
  add(
    index: number,
    arms: Record<string, IntervalArmSample>,
    generator?: GeneratorSample,
  ): CompletedInterval | undefined {
    let entry = this.#pending.get(index);
    if (!entry) {
      entry = { arrived: 0, arms: new Map(), generator: emptyGeneratorSample() };
      this.#pending.set(index, entry);
    }
    if (generator) addGeneratorSample(entry.generator, generator, true);
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
        // The first generator's sample is adopted, not copied: its histogram was handed over (the
        // recorder or the wire decoder made a fresh one), and copying 23 000 buckets each second
        // on the generator's thread is a pause in the very second it measures.
        entry.arms.set(arm, {
          requests: sample.requests,
          errors: sample.errors,
          latency: sample.latency,
          statusClasses: [...sample.statusClasses],
        });
      }
    }
    entry.arrived++;
    if (entry.arrived < this.#generators) return undefined;
    this.#pending.delete(index);
    const points = this.#complete(index, entry.arms);
    return {
      index,
      points,
      samples: Object.fromEntries(entry.arms),
      generator: this.#completeGenerator(index, entry.generator),
    };
  }

  /** Complete any intervals some generator never reported (its run ended first). */
  flush(): void {
    for (const [index, entry] of [...this.#pending.entries()].sort((a, b) => a[0] - b[0])) {
      this.#pending.delete(index);
      this.#complete(index, entry.arms);
      this.#completeGenerator(index, entry.generator);
    }
  }

  /** The generator's per-interval series. */
  generatorPoints(): GeneratorIntervalPoint[] {
    return this.#generatorPoints;
  }

  #completeGenerator(index: number, sample: GeneratorSample): GeneratorIntervalPoint {
    const verdict = generatorLimit(sample);
    const point: GeneratorIntervalPoint = {
      ...sample,
      startMs: index * this.#intervalMs,
      limited: verdict.limited,
      reasons: verdict.reasons,
    };
    this.#generatorPoints.push(point);
    if (this.#generatorPoints.length > this.#maxPoints)
      this.#generatorPoints = coalesceGeneratorPairs(this.#generatorPoints);
    return point;
  }

  /** The series per arm. */
  points(): Record<string, IntervalPoint[]> {
    return Object.fromEntries(this.#points);
  }

  #complete(index: number, arms: Map<string, IntervalArmSample>): Record<string, IntervalPoint> {
    const out: Record<string, IntervalPoint> = {};
    for (const [arm, sample] of arms) {
      const h = sample.latency;
      const point: IntervalPoint = {
        startMs: index * this.#intervalMs,
        durationMs: this.#intervalMs,
        requests: sample.requests,
        errors: sample.errors,
        p50Ms: percentileMs(h, 50),
        p90Ms: percentileMs(h, 90),
        p95Ms: percentileMs(h, 95),
        p99Ms: percentileMs(h, 99),
        maxMs: h.totalCount === 0 ? 0 : Math.round(h.maxValue) / 1000,
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

/**
 * A percentile of a histogram in ms, as spectrumMs reads it (the top of its bucket, never above
 * the maximum), without the rest of the spectrum: spectrumMs's mean walks hdr-histogram-js's
 * iterator objects, and on the generator's thread, once a second, that walk took 26 ms at the
 * first cut and 5 ms later ones — a pause in the schedule that made the second after the warm-up
 * the worst of a run.
 */
function percentileMs(h: Histogram, percentile: number): number {
  if (h.totalCount === 0) return 0;
  return Math.round(Math.min(h.getValueAtPercentile(percentile), h.maxValue)) / 1000;
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

/** Halve a generator series by merging neighbours; a merged point is limited when either was. */
export function coalesceGeneratorPairs(series: readonly GeneratorIntervalPoint[]): GeneratorIntervalPoint[] {
  const out: GeneratorIntervalPoint[] = [];
  for (let i = 0; i < series.length; i += 2) {
    const a = series[i] as GeneratorIntervalPoint;
    const b = series[i + 1];
    if (!b) {
      out.push(a);
      continue;
    }
    const merged = { ...a, reasons: [...a.reasons] };
    addGeneratorSample(merged, b, false);
    merged.limited = a.limited || b.limited;
    for (const reason of b.reasons)
      if (!merged.reasons.some((r) => r.code === reason.code)) merged.reasons.push(reason);
    out.push(merged);
  }
  return out;
}
