/**
 * The one load of a rollout: started once (the warm-up only at the run's start), re-weighted at
 * each step, read at each look since the step's mark. It keeps each arm's per-second windows in
 * the judge's compact form (bucketsOf, once per second and arm) with the seconds the engine's
 * generator-limit rule flags marked excluded, so the judge never takes the generator's own queue
 * for the service. With a router that carries the traffic itself the load goes to the router and
 * the router measures each arm (no per-arm windows then).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArmWindow } from '../gates/judge.js';
import { bucketsOf, subtractBuckets } from '../gates/stats/buckets.js';
import {
  type LoadHandle,
  type LoadMark,
  type LoadProgress,
  type LoadResult,
  type RunLoadOptions,
  startLoad,
} from '../load/engine.js';
import { type GeneratorLimit, generatorLimit } from '../load/generator-limit.js';
import type { GeneratorSample } from '../load/generator-meter.js';
import type { GeneratorIntervalPoint, IntervalPoint } from '../load/interval-series.js';
import type { LoadPlan } from '../load/plan.js';
import type { ArmMeasurements } from '../load/recorder.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import type { RunScenario } from '../scenario/schema.js';
import type { ArmMeasurer } from './routers/router.js';

/** The kind a generator-limited window is left out with. */
export const GENERATOR_LIMITED = 'generator-limited';

/**
 * The kind a step's first seconds are left out with when a shard's weight command came late: its
 * sends in them went by the previous step's weights (sharded-load.ts).
 */
export const WEIGHTS_LATE = 'weights late';

/**
 * The kind a step's requests are left out with while no second has closed since its mark: the
 * generator's own measurements of them (its schedule, CPU, connections) do not exist yet.
 */
export const GENERATOR_UNMEASURED = 'generator-unmeasured';

/**
 * Longest a look waits for a second to close since the previous look or the step's mark (one
 * closes every second; a load thread's start on a busy host took over a second).
 */
export const UNMEASURED_GRACE_MS = 3000;

/**
 * Most per-second windows kept per arm (a day-long rollout stays bounded): past it the oldest goes
 * first, so the step being judged keeps its latest seconds (the requests of the dropped ones stay in
 * the step's totals, read as its remainder).
 */
export const MAX_WINDOWS_PER_ARM = 86_400;

/** Where a step began. */
export interface StepMark {
  /** The load's mark (exact counters and histograms since it). */
  mark: LoadMark;
  /** First whole second of the step (the one the mark fell in is part the previous step's). */
  firstInterval: number;
  /** performance.now() at the mark. */
  atMs: number;
  /** When the step's measured time starts: the mark, or the end of the warm-up if later. */
  fromMs: number;
  /** When its first whole second starts, performance.now() ms: up to 1 s after fromMs (1.25 s with shards). */
  firstIntervalAtMs: number;
}

/** What a look at a step reads. */
export interface StepLook {
  arms: Map<string, ArmMeasurements>;
  /** Measured time since the step's start (the warm-up not counted), ms. */
  durationMs: number;
  /** Whole seconds of the step per arm, in time order, generator-limited ones marked. */
  windows: Map<string, ArmWindow[]>;
  /** Per-second points per arm, ms from the step's first whole second. */
  intervals: Record<string, IntervalPoint[]>;
  /** The generator over the step's seconds, and the rule's verdict on them. */
  generator: GeneratorSample | undefined;
  generatorLimit: GeneratorLimit | undefined;
  /** Start of the step's first whole second on the load's measured clock, ms. */
  firstIntervalMs: number;
  /** Seconds of the step the generator-limit rule flagged. */
  limitedSeconds: number;
  /**
   * No second had closed since the step's mark: the load's requests were all left out
   * (GENERATOR_UNMEASURED) and the generator is unknown (`generator` undefined).
   */
  unmeasured: boolean;
  /** Per arm measured by the load itself (the load's own arms, also with the proxy router). */
  loadArms: ArmMeasurements[];
}

/** The detail of GENERATOR_UNMEASURED windows. */
const NO_SECOND_CLOSED =
  "no second has closed since the step's mark: the generator's schedule, CPU and connections are not measured yet";

/**
 * Why the requests outside a step's whole seconds are the generator's queue too, or undefined:
 * the rule over the step's seconds so far, or the latest second, found the generator the limit.
 */
function edgeLimit(step: GeneratorLimit | undefined, seconds: readonly GeneratorIntervalPoint[]): string | undefined {
  if (step?.limited) return step.reasons[0]?.text ?? GENERATOR_LIMITED;
  const latest = seconds.reduce<GeneratorIntervalPoint | undefined>(
    (last, p) => (last === undefined || p.startMs > last.startMs ? p : last),
    undefined,
  );
  return latest?.limited ? (latest.reasons[0]?.text ?? GENERATOR_LIMITED) : undefined;
}

/**
 * An arm's requests since the step's mark that no whole-second window holds (the part-second the
 * step began in, the latest second not cut yet), as one window keyed `startMs`; undefined when
 * there are none. They count in the arm's totals, so leaving the windows out without them would
 * still judge the generator's queue on them.
 */
function remainderWindow(
  m: ArmMeasurements,
  windows: readonly ArmWindow[],
  durationMs: number,
  startMs: number,
): ArmWindow | undefined {
  const sum = (f: (w: ArmWindow) => number) => windows.reduce((s, w) => s + f(w), 0);
  const requests = Math.max(0, m.counters.requests - sum((w) => w.requests));
  if (requests === 0) return undefined;
  return {
    startMs,
    durationMs: Math.max(0, durationMs - sum((w) => w.durationMs)),
    latency: subtractBuckets(
      bucketsOf(m.latency),
      windows.map((w) => w.latency),
    ),
    requests,
    errors: Math.min(requests, Math.max(0, m.counters.errors - sum((w) => w.errors))),
    throttled: Math.max(0, m.counters.errorsByClass.http429 - sum((w) => w.throttled ?? 0)),
  };
}

/**
 * What a rollout's load runs on: the in-process engine or shards (sharded-load.ts).
 * The rollout reads both the same way, so the judge and the reports never know which it was.
 */
export type RolloutLoadHandle = Pick<
  LoadHandle,
  'done' | 'setWeights' | 'mark' | 'measurementsSince' | 'forget' | 'intervals' | 'stop'
> & {
  /**
   * When measuring starts (the warm-up's end), performance.now() ms: shards that start on command
   * move it once every one is up (a mark reads it when taken).
   */
  readonly measuredFromMs: number;
  /** Resolves once measuredFromMs is final (shards that start on command: all are up); absent: it is. */
  readonly started?: Promise<void>;
};

/** Starts a rollout's load from its plan. */
export type LoadStarter = (plan: LoadPlan, options: RunLoadOptions) => RolloutLoadHandle;

/** The in-process engine as a rollout's load (the default). */
export const engineLoad: LoadStarter = (plan, options) => {
  const measuredFromMs = performance.now() + (plan.warmupMs ?? 0);
  return { ...startLoad(plan, options), measuredFromMs };
};

/** Options of the rollout's load. */
export interface RolloutLoadOptions {
  scenario: RunScenario;
  /** The first step's canary weight, %. */
  firstWeight: number;
  /** The load's hard bound, ms (it is stopped when the rollout ends). */
  durationMs: number;
  /** Where the traffic goes when the router carries it, and the router's per-arm measurer. */
  through?: { url: string; measurer: ArmMeasurer };
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  /** What runs the load (default: the in-process engine). */
  start?: LoadStarter;
  /**
   * Where the generator runs: its own worker thread (default), or this thread, for a test that
   * must starve the generator with a hog on its own thread.
   */
  generatorThread?: 'worker' | 'this';
  /** Most windows kept per arm (default MAX_WINDOWS_PER_ARM); serve keeps an hour, as a step idles between weights. */
  maxWindowsPerArm?: number;
}

/** A rollout's running load. */
export class RolloutLoad {
  readonly #handle: RolloutLoadHandle;
  readonly #through: RolloutLoadOptions['through'];
  readonly #hasBaseline: boolean;
  /** Per arm, per-second windows by interval index. */
  readonly #windows = new Map<string, Map<number, ArmWindow>>();
  /** Resolvers of nextSecond(): called once the load's next second has closed and been kept. */
  #secondWaiters: (() => void)[] = [];
  #secondsClosed = 0;
  readonly #maxWindows: number;

  constructor(o: RolloutLoadOptions) {
    const s = o.scenario;
    const warmupMs = s.traffic.warmup;
    this.#through = o.through;
    this.#maxWindows = Math.max(1, o.maxWindowsPerArm ?? MAX_WINDOWS_PER_ARM);
    this.#hasBaseline = s.targets.baseline !== undefined && o.through === undefined;
    const targets: LoadPlan['targets'] = o.through
      ? [{ arm: 'client', url: o.through.url, weight: 1 }]
      : [
          ...(s.targets.baseline
            ? [{ arm: 'baseline', url: s.targets.baseline.url, weight: 100 - o.firstWeight }]
            : []),
          { arm: 'canary', url: s.targets.canary.url, weight: o.firstWeight },
        ];
    // A weight of 0 is allowed while another arm has some (it keeps its connections idle).
    if (!targets.some((t) => t.weight > 0)) for (const t of targets) t.weight = 1;
    this.#handle = (o.start ?? engineLoad)(scenarioLoadPlan(s, targets, o.durationMs, warmupMs), {
      ...(o.signal ? { signal: o.signal } : {}),
      // The looks judge on this thread (100–200 ms of CPU each on a busy machine): on the same
      // thread they delayed every send due meanwhile, a transient in the canary alone at 100 %.
      offThread: o.generatorThread !== 'this',
      onProgress: (progress) => {
        this.#keepWindows(progress);
        this.#secondsClosed++;
        for (const resolve of this.#secondWaiters.splice(0)) resolve();
        o.onProgress?.(progress);
      },
    });
    o.through?.measurer.startMeasuring(this.#handle.measuredFromMs);
  }

  /**
   * Resolves once the load's start is known (at once in this process; shards that start on
   * command once every one is up), on the signal, or at the load's end. A mark taken before it
   * rests on the planned start: its step's clock, its place in the report, a proxy's window.
   */
  async started(signal?: AbortSignal): Promise<void> {
    const started = this.#handle.started;
    if (!started || signal?.aborted) return;
    await waitFor(started, signal, this.done);
    // The proxy measures from the start that was told.
    this.#through?.measurer.startMeasuring(this.#handle.measuredFromMs);
  }

  /** Resolves when the load has ended (its bound, stop() or the signal). */
  get done(): Promise<LoadResult> {
    return this.#handle.done;
  }

  /** Move the probes to the step's proportions (a split router's arms, straight to each arm). */
  setWeight(weight: number): void {
    if (this.#through || !this.#hasBaseline) return;
    // The engine needs one arm with a positive weight: 0 % canary sends everything to the baseline.
    this.#handle.setWeights({ baseline: 100 - weight, canary: weight });
  }

  /** Mark a step's start. */
  beginStep(): StepMark {
    const atMs = performance.now();
    const warmedUpAtMs = this.#handle.measuredFromMs;
    this.#through?.measurer.startMeasuring(Math.max(atMs, warmedUpAtMs));
    const mark = this.#handle.mark();
    // Earlier steps' windows went into their looks (and the pooled baseline): drop them here.
    for (const byIndex of this.#windows.values()) {
      for (const index of byIndex.keys()) if (index <= mark.intervalIndex) byIndex.delete(index);
    }
    // A mark taken during the warm-up starts at the first measured second.
    const warm = atMs < warmedUpAtMs;
    const firstInterval = warm ? 0 : mark.intervalIndex + 1;
    return {
      mark,
      firstInterval,
      atMs,
      fromMs: Math.max(atMs, warmedUpAtMs),
      firstIntervalAtMs: warmedUpAtMs + firstInterval * 1000,
    };
  }

  /** Seconds of the load closed so far (each one's windows and generator point kept). */
  get secondsClosed(): number {
    return this.#secondsClosed;
  }

  /** Resolves when the load's next second has closed (a look then sees it); never if the load has ended. */
  nextSecond(): Promise<void> {
    return new Promise((resolve) => this.#secondWaiters.push(resolve));
  }

  /**
   * Wait for a look due at `atMs` (performance.now()): until then, and then, when no second has
   * closed since `seen` (secondsClosed at the previous look or the mark), for the next one within
   * UNMEASURED_GRACE_MS. Such a look has nothing new to judge: the process was stalled while the
   * step's clock ran on (a CI run spent a 1 s step's three extensions within 1.4 s that way, on one
   * second of load), or the load's thread is still starting. Cut short by the signal or the load's
   * end. Resolves to secondsClosed, the next look's `seen`.
   */
  async untilLook(atMs: number, seen: number, signal?: AbortSignal): Promise<number> {
    await waitUntil(atMs, signal, this.done);
    if (this.#secondsClosed === seen && !signal?.aborted) {
      await Promise.race([this.nextSecond(), waitUntil(performance.now() + UNMEASURED_GRACE_MS, signal, this.done)]);
    }
    return this.#secondsClosed;
  }

  /**
   * Everything measured since the step's mark. The step's windows are read when it is called, so
   * a step closed as the next one begins (serve moves the weight, then reads the step it ends)
   * keeps the seconds the next beginStep drops.
   */
  async look(step: StepMark): Promise<StepLook> {
    const kept = this.#stepWindows(step);
    const since = await this.#handle.measurementsSince(step.mark);
    const arms = this.#through
      ? new Map(this.#through.measurer.measurements().map((m) => [m.arm, m]))
      : new Map(since.arms.map((m) => [m.arm, m]));
    const limited = new Map<number, string>();
    for (const g of since.generatorIntervals) {
      if (g.limited) limited.set(Math.round(g.startMs / 1000), g.reasons[0]?.text ?? 'generator-limited');
    }
    // Until a second has closed since the step's mark (the one it fell in counts), nothing says
    // whether the step's latencies are the service's or the generator's queue: a look 2 s into a
    // step on a busy machine once found none (the load thread had started late) and judged a
    // capped generator's queue as the canary's p99. Those requests decide nothing (the driver
    // waits for a new second before each look). The router's own measurer has no queue.
    const measured = this.#through !== undefined || since.generatorIntervals.length > 0;
    const windows = new Map<string, ArmWindow[]>();
    if (!this.#through) {
      // Seconds closed while the measurements were read join those kept at the call.
      for (const [arm, byIndex] of this.#stepWindows(step)) {
        const all = kept.get(arm) ?? new Map<number, ArmWindow>();
        for (const [index, w] of byIndex) all.set(index, w);
        kept.set(arm, all);
      }
      for (const [arm, byIndex] of kept) {
        const list: ArmWindow[] = [];
        for (const [index, w] of byIndex) {
          const why = limited.get(index);
          if (since.heldFrom && index < since.heldFrom.second)
            list.push({ ...w, excluded: { kind: WEIGHTS_LATE, detail: since.heldFrom.why } });
          else list.push(why === undefined ? w : { ...w, excluded: { kind: GENERATOR_LIMITED, detail: why } });
        }
        windows.set(arm, list);
      }
      // The whole step's figures, not its seconds: the flagged seconds are left out already, and
      // the requests outside them are the generator's only when the step as a whole or its latest
      // second says so.
      const edge = measured ? edgeLimit(generatorLimit(since.generator), since.generatorIntervals) : NO_SECOND_CLOSED;
      if (edge !== undefined) {
        const kind = measured ? GENERATOR_LIMITED : GENERATOR_UNMEASURED;
        const durationMs = Math.max(0, since.durationMs - (step.fromMs - step.atMs));
        for (const [arm, m] of arms) {
          const list = windows.get(arm) ?? [];
          const rest = remainderWindow(m, list, durationMs, step.firstInterval * 1000 - 1);
          if (rest) list.push({ ...rest, excluded: { kind, detail: edge } });
          windows.set(arm, list);
        }
      }
      for (const list of windows.values()) list.sort((a, b) => a.startMs - b.startMs);
    }
    const firstIntervalMs = step.firstInterval * 1000;
    // Points from the step's start (its startedAtMs), as the report draws them: the first whole
    // second starts up to 1 s after it.
    const shiftMs = Math.max(0, Math.round(step.firstIntervalAtMs - step.fromMs)) - firstIntervalMs;
    const intervals: Record<string, IntervalPoint[]> = {};
    for (const [arm, points] of Object.entries(this.#handle.intervals().arms)) {
      intervals[arm] = points
        .filter((p) => p.startMs >= firstIntervalMs)
        .map((p) => ({ ...p, startMs: p.startMs + shiftMs }));
    }
    return {
      arms,
      durationMs: Math.max(0, since.durationMs - (step.fromMs - step.atMs)),
      windows,
      intervals,
      generator: measured ? since.generator : undefined,
      generatorLimit: measured ? since.generatorLimit : undefined,
      firstIntervalMs,
      limitedSeconds: [...limited.keys()].filter((index) => index >= step.firstInterval).length,
      unmeasured: !measured,
      loadArms: since.arms,
    };
  }

  /** Each arm's windows of the step so far, by interval index. */
  #stepWindows(step: StepMark): Map<string, Map<number, ArmWindow>> {
    const out = new Map<string, Map<number, ArmWindow>>();
    for (const [arm, byIndex] of this.#windows) {
      out.set(arm, new Map([...byIndex].filter(([index]) => index >= step.firstInterval)));
    }
    return out;
  }

  /** Drop a step's mark. */
  endStep(step: StepMark): void {
    this.#handle.forget(step.mark);
  }

  /** Stop the load; requests in flight finish. */
  stop(): Promise<LoadResult> {
    return this.#handle.stop();
  }

  #keepWindows(progress: LoadProgress): void {
    if (this.#through) return;
    const index = progress.elapsedSec - 1;
    for (const [arm, sample] of Object.entries(progress.samples)) {
      let byIndex = this.#windows.get(arm);
      if (!byIndex) {
        byIndex = new Map();
        this.#windows.set(arm, byIndex);
      }
      // A Map iterates in insertion order, and seconds arrive in order: the first key is the oldest.
      while (byIndex.size >= this.#maxWindows) byIndex.delete(byIndex.keys().next().value as number);
      byIndex.set(index, {
        startMs: index * 1000,
        durationMs: 1000,
        latency: bucketsOf(sample.latency),
        requests: sample.requests,
        errors: sample.errors,
      });
    }
  }
}

/** Resolves when `what` settles, or sooner when the signal aborts or the load ends. */
async function waitFor(
  what: Promise<unknown>,
  signal: AbortSignal | undefined,
  ended: Promise<unknown>,
): Promise<void> {
  // An abort listener added to a signal aborted already never fires.
  if (signal?.aborted) return;
  const settled = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      () => undefined,
    );
  let onAbort = (): void => {};
  try {
    await Promise.race([
      settled(what),
      settled(ended),
      new Promise<void>((resolve) => {
        onAbort = resolve;
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Resolves at `atMs` (performance.now()), or sooner when the signal aborts or the load ends. */
async function waitUntil(atMs: number, signal: AbortSignal | undefined, ended: Promise<unknown>): Promise<void> {
  const ms = atMs - performance.now();
  if (ms <= 0 || signal?.aborted) return;
  const timer = new AbortController();
  try {
    // Caught here: ended by the abort below once the wait is over, the sleep rejects.
    await waitFor(
      sleep(ms, undefined, { signal: timer.signal }).catch(() => undefined),
      signal,
      ended,
    );
  } finally {
    timer.abort();
  }
}
