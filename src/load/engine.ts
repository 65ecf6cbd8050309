/**
 * The load engine's entry: validates a plan, runs it on this thread or over worker threads, and
 * assembles a LoadResult with merged histograms and the per-second series.
 */

import { type IntervalPoint, IntervalSeries } from './interval-series.js';
import { mergeArms } from './merge.js';
import { assertValidPlan, type LoadModel, type LoadPlan } from './plan.js';
import type { ArmMeasurements, IntervalArmSample } from './recorder.js';
import { type GeneratorHealth, runInThread, type ThreadResult } from './run-in-thread.js';
import { runInWorkers } from './run-in-workers.js';

/** A live view of the run, once a second. */
export interface LoadProgress {
  /** Seconds since the start. */
  elapsedSec: number;
  /** Requests finished in the last interval, over all arms. */
  requests: number;
  /** Errors in the last interval. */
  errors: number;
  /** p99 of the last interval over all arms, ms (max over arms). */
  p99Ms: number;
  /** Per-arm points of the interval. */
  arms: Record<string, IntervalPoint>;
  /** Per-arm samples of the interval (histogram and status classes), merged over workers. */
  samples: Record<string, IntervalArmSample>;
}

/** Options of a load run. */
export interface RunLoadOptions {
  /** Aborts the run; the promise still resolves with what was measured. */
  signal?: AbortSignal;
  /** Called once a second. */
  onProgress?: (progress: LoadProgress) => void;
}

/** Everything a load run measured. */
export interface LoadResult {
  /** Open (constant arrival rate, CO-corrected) or closed (fixed concurrency). */
  model: LoadModel;
  /** True when latency counts from the intended send time. */
  coCorrected: boolean;
  /** When the run started. */
  startedAt: string;
  /** The plan that ran. */
  plan: LoadPlan;
  /** True when the run was aborted before its end. */
  aborted: boolean;
  /** Requests the schedule held (open model). */
  scheduled: number | undefined;
  /** The window over which requests were sent, ms (rate.achieved divides by it). */
  sendWindowMs: number;
  /** Start to the last finished request, ms. */
  elapsedMs: number;
  /** Per-arm measurements. */
  arms: ArmMeasurements[];
  /** All arms merged. */
  total: ArmMeasurements;
  /** Per-second series per arm. */
  intervals: Record<string, IntervalPoint[]>;
  /** The generator's own load. */
  generator: GeneratorHealth & { workers: number };
  /** Per-worker results when workers > 1 (for checks that parts add up). */
  perWorker?: ThreadResult[];
}

/** Run a load plan to its end (or until aborted) and return what it measured. */
export async function runLoad(plan: LoadPlan, options: RunLoadOptions = {}): Promise<LoadResult> {
  assertValidPlan(plan);
  const startedAt = new Date().toISOString();
  const series = new IntervalSeries(plan.workers);
  const onInterval = (index: number, arms: Parameters<IntervalSeries['add']>[1]): void => {
    const completed = series.add(index, arms);
    if (completed === undefined || options.onProgress === undefined) return;
    const points = completed.points;
    const values = Object.values(points);
    options.onProgress({
      elapsedSec: index + 1,
      requests: values.reduce((s, p) => s + p.requests, 0),
      errors: values.reduce((s, p) => s + p.errors, 0),
      p99Ms: Math.max(0, ...values.map((p) => p.p99Ms)),
      arms: points,
      samples: completed.samples,
    });
  };
  const hooks = { onInterval, ...(options.signal ? { signal: options.signal } : {}) };
  let result: ThreadResult;
  let perWorker: ThreadResult[] | undefined;
  if (plan.workers > 1) {
    ({ merged: result, perWorker } = await runInWorkers(plan, hooks));
  } else {
    result = await runInThread(plan, hooks);
  }
  series.flush();
  const total = mergeArms(result.arms, 'total', result.arms.length === 1 ? (result.arms[0]?.url ?? '') : '');
  return {
    model: result.model,
    coCorrected: result.model === 'open',
    startedAt,
    plan,
    aborted: options.signal?.aborted ?? false,
    scheduled: result.scheduled,
    sendWindowMs: result.sendWindowMs,
    elapsedMs: result.elapsedMs,
    arms: result.arms,
    total,
    intervals: series.points(),
    generator: { ...result.generator, workers: plan.workers },
    ...(perWorker ? { perWorker } : {}),
  };
}
