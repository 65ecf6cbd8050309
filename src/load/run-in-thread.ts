/**
 * Runs a plan on the current thread: opens the targets' connections, drives the open or closed
 * model, cuts 1-second interval samples (per arm, and the generator's own signals), and watches
 * its own event loop and CPU so a run can tell generator saturation from server saturation.
 * While it runs, target weights can change (same connections) and marks read exact cumulative
 * measurements since a moment.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ClosedModel } from './closed-model.js';
import { GeneratorMeter, type GeneratorSample } from './generator-meter.js';
import { subtractArms } from './merge.js';
import { OpenModel } from './open-model.js';
import { ENGINE_LIMITS, type LoadModel, type LoadPlan, modelOf } from './plan.js';
import type { ArmMeasurements, IntervalArmSample } from './recorder.js';
import { TargetPool } from './target-pool.js';
import { WeightedPicker } from './weighted-picker.js';

/** How busy the generator itself was. */
export interface GeneratorHealth {
  /** p99 of the generator's event-loop delay, ms. */
  eventLoopDelayP99Ms: number;
  /** Largest event-loop delay, ms. */
  eventLoopDelayMaxMs: number;
  /** CPU used by the generator process as a percentage of one core. */
  cpuPercent: number;
  /** Open model: measured requests issued more than 10 ms behind schedule by the generator itself. */
  issuedBehind: number;
}

/** What one thread measured. */
export interface ThreadResult {
  /** The model that ran. */
  model: LoadModel;
  /** Requests the schedule held (open model) or undefined (closed). */
  scheduled: number | undefined;
  /** Time from start to the later of the planned end and the last actual send, ms. */
  sendWindowMs: number;
  /** Time from start until every request had finished, ms. */
  elapsedMs: number;
  /** Per-arm measurements. */
  arms: ArmMeasurements[];
  /** The generator's own load. */
  generator: GeneratorHealth;
  /** The generator's signals over the whole measured run. */
  signals: GeneratorSample;
  /** Responses that came within the planned measured window. */
  responsesInWindow: number;
}

/** Hooks of a thread run. */
export interface ThreadHooks {
  /** Aborts the run: scheduling stops, connections are destroyed, in-flight work is discarded. */
  signal?: AbortSignal;
  /** Called once a second with each arm's interval sample and the generator's (index 0 is the first second). */
  onInterval?: (index: number, arms: Record<string, IntervalArmSample>, generator: GeneratorSample) => void;
  /** Schedule offset for this generator, ms (workers interleave their schedules). */
  phaseOffsetMs?: number;
}

/** A load running on this thread. */
export interface ThreadRun {
  /** Resolves when the load is over: its schedule or duration ran out, stop() or the abort signal. */
  done: Promise<ThreadResult>;
  /**
   * New relative weights per arm; arms not named keep theirs. Connections stay open. With
   * `atEpochMs`, from the requests meant to go out at or after that time.
   */
  setWeights(weights: Record<string, number>, atEpochMs?: number): void;
  /** Remember the measurements now under `id`. */
  mark(id: number): void;
  /** Exact measurements since mark `id` (histograms and counters), per arm. */
  since(id: number): ArmMeasurements[];
  /** Forget mark `id`. */
  forget(id: number): void;
  /** Stop issuing; requests in flight finish and are measured. */
  stop(): void;
}

/** Sampling period of the event-loop monitor; its samples include it, so it is subtracted. */
const LOOP_DELAY_RESOLUTION_MS = 10;
/** Marks kept at once per thread: each holds a copy of the arms' histograms. */
export const MAX_LIVE_MARKS = 64;

const loopDelayMs = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS);

/** The picker over targets for the given weights (by arm). */
export function targetPickerFor(
  targets: readonly TargetPool[],
  weights: Record<string, number>,
): WeightedPicker<TargetPool> {
  return new WeightedPicker(targets.map((t) => ({ item: t, weight: weights[t.spec.arm] ?? t.spec.weight })));
}

/** Start `plan` on this thread. */
export function startInThread(plan: LoadPlan, hooks: ThreadHooks = {}): ThreadRun {
  const model = modelOf(plan);
  const targets = plan.targets.map(
    (spec) =>
      new TargetPool(spec, plan.mix, {
        connections: plan.connections,
        pipelining: model === 'closed' ? plan.pipelining : 1,
        timeoutMs: plan.timeoutMs,
        model,
        backlogCapacity: ENGINE_LIMITS.maxBacklogPerTarget,
        ...(plan.tracing ? { tracing: plan.tracing } : {}),
      }),
  );
  const weights: Record<string, number> = Object.fromEntries(plan.targets.map((t) => [t.arm, t.weight]));
  const meter = new GeneratorMeter();
  const runner =
    model === 'open'
      ? new OpenModel(plan, targets, targetPickerFor(targets, weights), meter, {
          phaseOffsetMs: hooks.phaseOffsetMs ?? 0,
        })
      : new ClosedModel(plan, targets, targetPickerFor(targets, weights), meter);
  const connections = targets.reduce((sum, t) => sum + t.limit, 0);

  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  const intervalLoopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  intervalLoopDelay.enable();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let cpuMark = cpuStart;
  let wallMark = wallStart;

  let index = 0;
  const cut = (): void => {
    const now = performance.now();
    const cpu = process.cpuUsage(cpuMark);
    const durationMs = now - wallMark;
    const busy = targets.reduce((sum, t) => sum + t.busy, 0);
    meter.occupancy(0, busy);
    const generator = meter.rotate({
      loopDelayP99Ms: intervalLoopDelay.count > 0 ? loopDelayMs(intervalLoopDelay.percentile(99)) : 0,
      loopDelayMaxMs: intervalLoopDelay.count > 0 ? loopDelayMs(intervalLoopDelay.max) : 0,
      cpuPercent: durationMs > 0 ? ((cpu.user + cpu.system) / 1000 / durationMs) * 100 : 0,
      durationMs,
      connections,
    });
    intervalLoopDelay.reset();
    cpuMark = process.cpuUsage();
    wallMark = now;
    const arms: Record<string, IntervalArmSample> = {};
    for (const target of targets) arms[target.spec.arm] = target.recorder.rotateInterval();
    hooks.onInterval?.(index++, arms, generator);
  };
  // The series starts when measuring does, after the warm-up.
  let ticker: NodeJS.Timeout | undefined;
  const warmupTimer = setTimeout(() => {
    cpuMark = process.cpuUsage();
    wallMark = performance.now();
    intervalLoopDelay.reset();
    ticker = setInterval(cut, 1000);
  }, plan.warmupMs ?? 0);
  const abort = (): void => {
    runner.stop(true);
    for (const target of targets) void target.close(true);
  };
  if (hooks.signal?.aborted) abort();
  hooks.signal?.addEventListener('abort', abort, { once: true });

  let stopped = false;
  const marks = new Map<number, ArmMeasurements[]>();
  const snapshot = (): ArmMeasurements[] => targets.map((t) => t.recorder.snapshot());

  const done = (async (): Promise<ThreadResult> => {
    try {
      await runner.run();
    } finally {
      clearTimeout(warmupTimer);
      clearInterval(ticker);
      hooks.signal?.removeEventListener('abort', abort);
      loopDelay.disable();
      intervalLoopDelay.disable();
    }
    const endMs = performance.now();
    // The last partial interval still belongs in the series.
    if (!hooks.signal?.aborted && ticker !== undefined) cut();
    await Promise.all(targets.map((t) => t.close(hooks.signal?.aborted ?? false)));

    const cpu = process.cpuUsage(cpuStart);
    const elapsedMs = Math.max(0, endMs - runner.measuredFromMs);
    const sentForMs = runner.lastSendMs - runner.measuredFromMs;
    // A run that ended early sent for less than planned: rates divide by what actually ran.
    const endedEarly = hooks.signal?.aborted === true || stopped;
    const sendWindowMs = endedEarly
      ? Math.max(1, Math.min(plan.durationMs, sentForMs))
      : Math.max(plan.durationMs, sentForMs);
    const generator: GeneratorHealth = {
      eventLoopDelayP99Ms: loopDelay.count > 0 ? loopDelayMs(loopDelay.percentile(99)) : 0,
      eventLoopDelayMaxMs: loopDelay.count > 0 ? loopDelayMs(loopDelay.max) : 0,
      cpuPercent: endMs > wallStart ? ((cpu.user + cpu.system) / 1000 / (endMs - wallStart)) * 100 : 0,
      issuedBehind: runner instanceof OpenModel ? runner.issuedBehind : 0,
    };
    // Whole-run figures rather than the largest interval's.
    const signals = {
      ...meter.run,
      loopDelayP99Ms: generator.eventLoopDelayP99Ms,
      loopDelayMaxMs: generator.eventLoopDelayMaxMs,
      cpuPercent: generator.cpuPercent,
      connections,
      threads: 1,
    };
    return {
      model,
      scheduled: runner instanceof OpenModel ? runner.scheduled : undefined,
      sendWindowMs: model === 'open' ? sendWindowMs : Math.min(elapsedMs, sendWindowMs),
      elapsedMs,
      arms: targets.map((t) => t.recorder.measurements()),
      generator,
      signals,
      responsesInWindow: meter.responsesInWindow,
    };
  })();

  return {
    done,
    setWeights: (next, atEpochMs) => {
      const merged = { ...weights, ...next };
      // Refused before anything changes: the picker needs one positive weight.
      const picker = targetPickerFor(targets, merged);
      Object.assign(weights, merged);
      // The schedule runs on this thread's monotonic clock.
      runner.setTargets(picker, atEpochMs === undefined ? undefined : performance.now() + (atEpochMs - Date.now()));
    },
    mark: (id) => {
      if (marks.size >= MAX_LIVE_MARKS) {
        const oldest = marks.keys().next().value;
        if (oldest !== undefined) marks.delete(oldest);
      }
      marks.set(id, snapshot());
    },
    since: (id) => {
      const earlier = marks.get(id);
      if (earlier === undefined) throw new RangeError(`load mark ${id} is unknown or was forgotten`);
      return targets.map((t, i) => subtractArms(t.recorder.measurements(), earlier[i] as ArmMeasurements));
    },
    forget: (id) => {
      marks.delete(id);
    },
    stop: () => {
      stopped = true;
      runner.stop(false);
    },
  };
}

/** Run `plan` on this thread to its end. */
export function runInThread(plan: LoadPlan, hooks: ThreadHooks = {}): Promise<ThreadResult> {
  return startInThread(plan, hooks).done;
}
