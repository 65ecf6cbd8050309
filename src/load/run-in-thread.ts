/**
 * Runs a plan on the current thread: opens the targets' pools, drives the open or closed model,
 * cuts 1-second interval samples, and watches its own event loop and CPU so a run can tell
 * generator saturation from server saturation.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ClosedModel } from './closed-model.js';
import { OpenModel } from './open-model.js';
import { type LoadModel, type LoadPlan, modelOf } from './plan.js';
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
}

/** Hooks of a thread run. */
export interface ThreadHooks {
  /** Aborts the run: scheduling stops, connections are destroyed, in-flight work is discarded. */
  signal?: AbortSignal;
  /** Called once a second with each arm's interval sample (index 0 is the first second). */
  onInterval?: (index: number, arms: Record<string, IntervalArmSample>) => void;
  /** Schedule offset for this generator, ms (workers interleave their schedules). */
  phaseOffsetMs?: number;
}

/** Sampling period of the event-loop monitor; its samples include it, so it is subtracted. */
const LOOP_DELAY_RESOLUTION_MS = 10;

const loopDelayMs = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS);

/** Run `plan` on this thread. */
export async function runInThread(plan: LoadPlan, hooks: ThreadHooks = {}): Promise<ThreadResult> {
  const model = modelOf(plan);
  const targets = plan.targets.map(
    (spec) =>
      new TargetPool(spec, plan.mix, {
        connections: plan.connections,
        pipelining: model === 'closed' ? plan.pipelining : 1,
        timeoutMs: plan.timeoutMs,
        model,
        ...(plan.tracing ? { tracing: plan.tracing } : {}),
      }),
  );
  const targetPicker = new WeightedPicker(targets.map((t) => ({ item: t, weight: t.spec.weight })));
  const runner =
    model === 'open'
      ? new OpenModel(plan, targets, targetPicker, { phaseOffsetMs: hooks.phaseOffsetMs ?? 0 })
      : new ClosedModel(plan, targets, targetPicker);

  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();

  let index = 0;
  const cut = (): void => {
    const arms: Record<string, IntervalArmSample> = {};
    for (const target of targets) arms[target.spec.arm] = target.recorder.rotateInterval();
    hooks.onInterval?.(index++, arms);
  };
  // The series starts when measuring does, after the warm-up.
  let ticker: NodeJS.Timeout | undefined;
  const warmupTimer = setTimeout(() => {
    ticker = setInterval(cut, 1000);
  }, plan.warmupMs ?? 0);
  const abort = (): void => {
    runner.stop(true);
    for (const target of targets) void target.close(true);
  };
  if (hooks.signal?.aborted) abort();
  hooks.signal?.addEventListener('abort', abort, { once: true });

  try {
    await runner.run();
  } finally {
    clearTimeout(warmupTimer);
    clearInterval(ticker);
    hooks.signal?.removeEventListener('abort', abort);
    loopDelay.disable();
  }
  const endMs = performance.now();
  // The last partial interval still belongs in the series.
  if (!hooks.signal?.aborted && ticker !== undefined) cut();
  await Promise.all(targets.map((t) => t.close(hooks.signal?.aborted ?? false)));

  const cpu = process.cpuUsage(cpuStart);
  const elapsedMs = Math.max(0, endMs - runner.measuredFromMs);
  const sentForMs = runner.lastSendMs - runner.measuredFromMs;
  // An aborted run sent for less than planned: rates divide by what actually ran.
  const sendWindowMs = hooks.signal?.aborted
    ? Math.max(1, Math.min(plan.durationMs, sentForMs))
    : Math.max(plan.durationMs, sentForMs);
  return {
    model,
    scheduled: runner instanceof OpenModel ? runner.scheduled : undefined,
    sendWindowMs: model === 'open' ? sendWindowMs : Math.min(elapsedMs, sendWindowMs),
    elapsedMs,
    arms: targets.map((t) => t.recorder.measurements()),
    generator: {
      eventLoopDelayP99Ms: loopDelay.count > 0 ? loopDelayMs(loopDelay.percentile(99)) : 0,
      eventLoopDelayMaxMs: loopDelay.count > 0 ? loopDelayMs(loopDelay.max) : 0,
      cpuPercent: endMs > wallStart ? ((cpu.user + cpu.system) / 1000 / (endMs - wallStart)) * 100 : 0,
      issuedBehind: runner instanceof OpenModel ? runner.issuedBehind : 0,
    },
  };
}
