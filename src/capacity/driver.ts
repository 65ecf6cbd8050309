/**
 * The capacity search's I/O: runs each rate the search state machine asks for as one open-model
 * load step (runLoad: warm-up, then the measured window), judges it against the SLO and the
 * saturation classifier, pauses after a failing step so the service drains its queue, and
 * returns the target's result. Owns time and side effects; every decision is in the pure parts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { TargetError } from '../errors.js';
import { spectrumMs } from '../hdr/histogram.js';
import { type LoadResult, runLoad } from '../load/engine.js';
import type { LoadPlan } from '../load/plan.js';
import { evaluateSlo, type Slo } from '../scenario/slo.js';
import type { LoadRunner, ShardedLoadResult } from '../shard/coordinator.js';
import { type CapacityStep, type CapacityTargetResult, targetResult } from './result.js';
import { classifySaturation } from './saturation.js';
import { advanceSearch, type SearchConfig, type StepOutcome, startSearch } from './search.js';

/** One target's search. */
export interface CapacitySearchOptions {
  /** "target" or "compare". */
  label: string;
  /** The load of every step, without rate, duration and warm-up (the search sets them). */
  plan: Omit<LoadPlan, 'ratePerSec' | 'durationMs' | 'warmupMs'>;
  /** What each step must meet. */
  slo: Slo;
  /** Rates and precision. */
  search: SearchConfig;
  /** Measured time per step, ms. */
  stepDurationMs: number;
  /** Unmeasured traffic at the step's rate before it, ms. */
  warmupMs: number;
  /** Pause after a failing step, ms, so a queue built up by overload is not measured next. */
  cooldownMs: number;
  /** Aborts the search; the result says interrupted. */
  signal?: AbortSignal;
  /** Runs each step's load (default: the engine in this process; `--shards`: shards, merged exactly). */
  runLoad?: LoadRunner;
  /** Called before each step. */
  onStepStart?: (info: { index: number; phase: 'ramp' | 'bisect'; ratePerSec: number }) => void;
  /** Called after each step. */
  onStep?: (step: CapacityStep) => void;
}

/** Run one target's search to its end. */
export async function searchCapacity(o: CapacitySearchOptions): Promise<CapacityTargetResult> {
  let state = startSearch(o.search);
  const steps: CapacityStep[] = [];
  const t0 = performance.now();
  const url = o.plan.targets[0]?.url ?? '';
  while (state.nextPerSec !== undefined && !o.signal?.aborted) {
    const rate = state.nextPerSec;
    const phase = state.phase === 'bisect' ? 'bisect' : 'ramp';
    o.onStepStart?.({ index: steps.length, phase, ratePerSec: rate });
    const startedAtMs = performance.now() - t0;
    const result = await (o.runLoad ?? runLoad)(
      { ...o.plan, ratePerSec: rate, durationMs: o.stepDurationMs, warmupMs: o.warmupMs },
      o.signal ? { signal: o.signal } : {},
    );
    if (result.aborted) break;
    const step = judgeStep(o, steps.length, phase, rate, result, startedAtMs, performance.now() - t0 - startedAtMs);
    // A generator that fell behind once may have been paused by a busy neighbour on the machine;
    // only a rate it cannot keep twice in a row ends the search.
    const retry = step.outcome === 'generator-limited' && steps[steps.length - 1]?.offeredPerSec !== rate;
    step.retried = retry;
    steps.push(step);
    o.onStep?.(step);
    if (!retry) state = advanceSearch(state, step.outcome);
    if ((step.outcome === 'fail' || retry) && state.nextPerSec !== undefined && o.cooldownMs > 0) {
      await sleep(o.cooldownMs, undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
    }
  }
  return targetResult(o.label, url, state, steps, o.signal?.aborted === true);
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** One step's figures, SLO terms, saturation and outcome. */
function judgeStep(
  o: CapacitySearchOptions,
  index: number,
  phase: 'ramp' | 'bisect',
  rate: number,
  result: LoadResult,
  startedAtMs: number,
  elapsedMs: number,
): CapacityStep {
  const c = result.total.counters;
  const latencyMs = spectrumMs(result.total.latency);
  const serviceMs = spectrumMs(result.total.service);
  const errorRate = c.requests > 0 ? c.errors / c.requests : 1;
  const slo = evaluateSlo(o.slo, { latencyMs, errorRate });
  if (c.requests === 0) {
    // Nothing finished, so nothing was measured: that cannot count as meeting the SLO.
    slo.pass = false;
    slo.terms.push({ term: 'requests>0', observed: 0, limit: 0, pass: false });
  }
  const latencyTerms: Slo = { text: '', terms: o.slo.terms.filter((t) => t.metric !== 'errors') };
  const serviceTimeMeetsSlo = evaluateSlo(latencyTerms, { latencyMs: serviceMs, errorRate: 0 }).pass;
  const generator = result.generator;
  // Responses that came within the measured window: what `load` calls rate.achieved.
  const completedPerSec = result.throughput.completedPerSec;
  const saturation = classifySaturation({
    offeredPerSec: rate,
    scheduled: c.sent + c.dropped,
    late: c.late,
    dropped: c.dropped,
    throughputPerSec: completedPerSec,
    generator: generator.signals,
    seconds: result.generatorIntervals,
    sloPass: slo.pass,
    serviceTimeMeetsSlo,
    ...('shards' in result
      ? {
          shards: (result as ShardedLoadResult).shards.map((s) => s.signals),
          startLags: result.generator.reasons.filter((r) => r.code === 'start-lag'),
        }
      : {}),
  });
  const outcome: StepOutcome = saturation.limitedBy === 'generator' ? 'generator-limited' : slo.pass ? 'pass' : 'fail';
  return {
    index,
    phase,
    offeredPerSec: rate,
    achievedPerSec: round(completedPerSec, 1),
    sentPerSec: round(result.throughput.sentPerSec, 1),
    throughputPerSec: round(completedPerSec, 1),
    requests: c.requests,
    errors: c.errors,
    errorRate: round(errorRate, 6),
    late: c.late,
    dropped: c.dropped,
    latencyMs,
    serviceMs,
    slo,
    generator: {
      workers: generator.workers,
      cpuPercent: round(generator.cpuPercent, 1),
      eventLoopDelayP99Ms: round(generator.eventLoopDelayP99Ms, 2),
      issuedBehind: generator.issuedBehind,
    },
    saturation,
    outcome,
    retried: false,
    startedAtMs: Math.round(startedAtMs),
    elapsedMs: Math.round(elapsedMs),
  };
}

/**
 * Pre-flight: one request to `url` must get an HTTP response (any status; the SLO judges
 * statuses). A transport failure means the target is down: TargetError, exit 3, no load sent.
 */
export async function probeTarget(url: string, timeoutMs: number): Promise<number> {
  try {
    const response = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await response.body.dump();
    return response.statusCode;
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new TargetError(`pre-flight: ${url} did not answer (${code}); nothing was sent`, {
      hint: 'start the service, or check the URL',
      cause: error,
    });
  }
}
