/**
 * The load engine's entry. `startLoad` validates a plan, starts it on this thread or over worker
 * threads and hands back a LoadHandle: the load keeps running (same connections, no cold restart)
 * while its caller changes target weights and reads exact measurements since a mark — what a
 * judge looking several times at one step, a session whose controller moves weights, or a shard
 * told its weight needs. `runLoad` is the same load run to its end.
 */
import { ScenarioError } from '../errors.js';
import { type GeneratorLimit, generatorLimitOver } from './generator-limit.js';
import { addGeneratorSample, emptyGeneratorSample, type GeneratorSample } from './generator-meter.js';
import { type GeneratorIntervalPoint, type IntervalPoint, IntervalSeries } from './interval-series.js';
import { mergeArms } from './merge.js';
import { assertValidPlan, type LoadModel, type LoadPlan } from './plan.js';
import type { ArmMeasurements, IntervalArmSample } from './recorder.js';
import { type GeneratorHealth, startInThread, type ThreadResult } from './run-in-thread.js';
import { startInWorkers } from './run-in-workers.js';

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
  /** The generator's signals in the interval and whether its own queue made the latency (absent in hand-made progress). */
  generator?: GeneratorIntervalPoint;
}

/** Options of a load run. */
export interface RunLoadOptions {
  /** Aborts the run; the promise still resolves with what was measured. */
  signal?: AbortSignal;
  /** Called once a second. */
  onProgress?: (progress: LoadProgress) => void;
  /**
   * Run even a one-worker plan on a worker thread, so that work on this thread (a rollout's
   * looks: judging, results) never delays a send; more than one worker always runs off it.
   */
  offThread?: boolean;
}

/** Rates of a run, each over the planned measured window. */
export interface LoadThroughput {
  /** The rate asked for (open model), requests/s. */
  targetPerSec: number | undefined;
  /** Responses (any status) that came within the measured window, per second of it: `rate.achieved`. */
  completedPerSec: number;
  /** Measured requests handed to a connection, per second of the send window. */
  sentPerSec: number;
  /** The measured window the completed rate divides by, ms. */
  windowMs: number;
}

/** The generator: its own load, its signals over the run, and the generator-limit verdict. */
export type LoadGenerator = GeneratorHealth &
  GeneratorLimit & {
    /** Worker threads. */
    workers: number;
    /** The generator's signals over the whole measured run. */
    signals: GeneratorSample;
    /** Seconds of the per-second series that were generator-limited. */
    limitedIntervals: number;
  };

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
  /** The window over which requests were sent, ms. */
  sendWindowMs: number;
  /** Start to the last finished request, ms. */
  elapsedMs: number;
  /** Per-arm measurements. */
  arms: ArmMeasurements[];
  /** All arms merged. */
  total: ArmMeasurements;
  /** Per-second series per arm. */
  intervals: Record<string, IntervalPoint[]>;
  /** The generator's per-second signals, each with its generator-limit verdict. */
  generatorIntervals: GeneratorIntervalPoint[];
  /** Completed and sent rates (`rate.achieved` is `completedPerSec`). */
  throughput: LoadThroughput;
  /** The generator's own load, signals and verdict. */
  generator: LoadGenerator;
  /** Per-worker results when workers > 1 (for checks that parts add up). */
  perWorker?: ThreadResult[];
}

/** A moment of a running load that measurements can be read from. */
export interface LoadMark {
  /** Its id within the load. */
  readonly id: number;
  /** When it was taken, ms since the load started. */
  readonly atMs: number;
  /** Intervals completed when it was taken (generator signals since it start at this one). */
  readonly intervalIndex: number;
}

/** What a running load measured since a mark. */
export interface LoadWindow {
  /** Per-arm measurements since the mark: histograms and counters exact. */
  arms: ArmMeasurements[];
  /** All arms merged. */
  total: ArmMeasurements;
  /** Time since the mark, ms. */
  durationMs: number;
  /** The generator's signals over the whole intervals since the mark (per-second granularity). */
  generator: GeneratorSample;
  /** The generator-limit verdict on that window, as a whole and by its seconds. */
  generatorLimit: GeneratorLimit;
  /** The per-second generator points since the mark; limited ones are no evidence about the service. */
  generatorIntervals: GeneratorIntervalPoint[];
  /**
   * Set when the mark's first whole seconds must decide nothing: the first second that may, and
   * why (a shard's weight command came late, so its requests before it went by the earlier
   * weights). `arms` still hold them, as the requests that were sent.
   */
  heldFrom?: { second: number; why: string };
}

/** A load that keeps running until its duration ends, stop() or the abort signal. */
export interface LoadHandle {
  /** The plan that runs. */
  readonly plan: LoadPlan;
  /** When it started. */
  readonly startedAt: string;
  /** Resolves with everything measured once the load is over. */
  readonly done: Promise<LoadResult>;
  /**
   * New relative weights per arm (arms not named keep theirs), taken by the next request, or with
   * `atEpochMs` by the requests meant to go out at or after that time (the open model asks by a
   * request's intended time, so the switch falls between the same two requests however late the
   * event loop runs). The connections stay open; an arm at weight 0 keeps its connections idle.
   */
  setWeights(weights: Record<string, number>, atEpochMs?: number): void;
  /** Mark this moment, to read measurements since it. */
  mark(): LoadMark;
  /** Exact measurements since `mark` (histograms merged exactly over workers, counters). */
  measurementsSince(mark: LoadMark): Promise<LoadWindow>;
  /** Free a mark's copy of the histograms (at most MAX_LIVE_MARKS are kept; the oldest go first). */
  forget(mark: LoadMark): void;
  /** The per-second series so far. */
  intervals(): { arms: Record<string, IntervalPoint[]>; generator: GeneratorIntervalPoint[] };
  /** Stop issuing; requests in flight finish and are measured. Resolves like `done`. */
  stop(): Promise<LoadResult>;
}

/** Start a load plan; it runs until its duration ends, `stop()` or the abort signal. */
export function startLoad(plan: LoadPlan, options: RunLoadOptions = {}): LoadHandle {
  assertValidPlan(plan);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const series = new IntervalSeries(plan.workers);
  let completedIntervals = 0;
  const onInterval = (index: number, arms: Record<string, IntervalArmSample>, generator: GeneratorSample): void => {
    const completed = series.add(index, arms, generator);
    if (completed === undefined) return;
    completedIntervals = Math.max(completedIntervals, completed.index + 1);
    if (options.onProgress === undefined) return;
    const points = completed.points;
    const values = Object.values(points);
    options.onProgress({
      elapsedSec: index + 1,
      requests: values.reduce((s, p) => s + p.requests, 0),
      errors: values.reduce((s, p) => s + p.errors, 0),
      p99Ms: Math.max(0, ...values.map((p) => p.p99Ms)),
      arms: points,
      samples: completed.samples,
      generator: completed.generator,
    });
  };
  const hooks = { onInterval, ...(options.signal ? { signal: options.signal } : {}) };
  const arms = new Set(plan.targets.map((t) => t.arm));
  let runner: {
    setWeights(weights: Record<string, number>, atEpochMs?: number): void;
    mark(id: number): void;
    since(id: number): ArmMeasurements[] | Promise<ArmMeasurements[]>;
    forget(id: number): void;
    stop(): void;
  };
  let finished: Promise<{ merged: ThreadResult; perWorker?: ThreadResult[] }>;
  if (plan.workers > 1 || options.offThread) {
    const workers = startInWorkers(plan, hooks);
    runner = workers;
    finished = workers.done;
  } else {
    const thread = startInThread(plan, hooks);
    runner = thread;
    finished = thread.done.then((merged) => ({ merged }));
  }
  let over = false;
  const done = finished
    .then(({ merged, perWorker }) => {
      series.flush();
      return assembleResult(plan, startedAt, options.signal?.aborted ?? false, merged, series, perWorker);
    })
    .finally(() => {
      over = true;
    });
  let nextMark = 0;
  return {
    plan,
    startedAt,
    done,
    setWeights: (weights, atEpochMs) => {
      const problems = weightProblems(arms, plan, weights);
      if (problems.length > 0) throw new ScenarioError(`invalid weights:\n  - ${problems.join('\n  - ')}`, problems);
      runner.setWeights(weights, atEpochMs);
    },
    mark: () => {
      const mark = { id: nextMark++, atMs: performance.now() - t0, intervalIndex: completedIntervals };
      if (!over) runner.mark(mark.id);
      return mark;
    },
    measurementsSince: async (mark) => {
      if (over) throw new RangeError('the load has ended: read measurements from its result');
      const parts = await runner.since(mark.id);
      const sinceIntervals = series.generatorPoints().filter((p) => p.startMs >= mark.intervalIndex * 1000);
      const generator = emptyGeneratorSample();
      for (const point of sinceIntervals) addGeneratorSample(generator, point, false);
      return {
        arms: parts,
        total: mergeArms(parts, 'total', parts.length === 1 ? (parts[0]?.url ?? '') : ''),
        durationMs: performance.now() - t0 - mark.atMs,
        generator,
        generatorLimit: generatorLimitOver(generator, sinceIntervals),
        generatorIntervals: sinceIntervals,
      };
    },
    forget: (mark) => {
      if (!over) runner.forget(mark.id);
    },
    intervals: () => ({ arms: series.points(), generator: series.generatorPoints() }),
    stop: () => {
      if (!over) runner.stop();
      return done;
    },
  };
}

/** Run a load plan to its end (or until aborted) and return what it measured. */
export function runLoad(plan: LoadPlan, options: RunLoadOptions = {}): Promise<LoadResult> {
  return startLoad(plan, options).done;
}

/** Every problem with new weights, each naming the arm. */
function weightProblems(arms: ReadonlySet<string>, plan: LoadPlan, weights: Record<string, number>): string[] {
  const problems: string[] = [];
  for (const [arm, weight] of Object.entries(weights)) {
    if (!arms.has(arm)) problems.push(`${arm}: no such arm (the load has ${[...arms].join(', ')})`);
    if (!(weight >= 0 && Number.isFinite(weight))) problems.push(`${arm}: expected a weight >= 0, found ${weight}`);
  }
  const after = plan.targets.map((t) => weights[t.arm] ?? t.weight);
  if (problems.length === 0 && !after.some((w) => w > 0))
    problems.push('expected at least one arm with a positive weight');
  return problems;
}

/** The LoadResult of a finished run. */
function assembleResult(
  plan: LoadPlan,
  startedAt: string,
  aborted: boolean,
  result: ThreadResult,
  series: IntervalSeries,
  perWorker: ThreadResult[] | undefined,
): LoadResult {
  const total = mergeArms(result.arms, 'total', result.arms.length === 1 ? (result.arms[0]?.url ?? '') : '');
  const generatorIntervals = series.generatorPoints();
  // The run as a whole and by its seconds: an average hides a stretch the generator could not hold.
  const verdict = generatorLimitOver(result.signals, generatorIntervals);
  // A closed run ends when its cap is reached, often well before its planned duration: its
  // completed rate divides by what ran. An open run's window is the planned schedule.
  const windowMs = aborted || result.model === 'closed' ? result.sendWindowMs : plan.durationMs;
  return {
    model: result.model,
    coCorrected: result.model === 'open',
    startedAt,
    plan,
    aborted,
    scheduled: result.scheduled,
    sendWindowMs: result.sendWindowMs,
    elapsedMs: result.elapsedMs,
    arms: result.arms,
    total,
    intervals: series.points(),
    generatorIntervals,
    throughput: {
      targetPerSec: plan.ratePerSec,
      completedPerSec: windowMs > 0 ? (result.responsesInWindow / windowMs) * 1000 : 0,
      sentPerSec: result.sendWindowMs > 0 ? (total.counters.sent / result.sendWindowMs) * 1000 : 0,
      windowMs,
    },
    generator: {
      ...result.generator,
      workers: plan.workers,
      ...verdict,
      signals: result.signals,
      limitedIntervals: generatorIntervals.filter((p) => p.limited).length,
    },
    ...(perWorker ? { perWorker } : {}),
  };
}
