/**
 * CapacityResult: the versioned JSON of a capacity search (one target, or two with a
 * comparison), and the pure pieces that turn a finished search into it: the verdict's sentence,
 * the interval, the knee, the capacity ratio and the exit code. Reports render this and nothing
 * else.
 */
import type { CapacityVerdict as VerdictWithExitCode } from '../exit-codes.js';
import type { LatencySpectrumMs } from '../hdr/histogram.js';
import type { SloTerm, SloTermResult } from '../scenario/slo.js';
import { formatRatePerSec } from '../scenario/units.js';
import { findKnee, type Knee } from './knee.js';
import { generatorSuggestion, type Saturation } from './saturation.js';
import type { SearchState, SearchVerdict, StepOutcome } from './search.js';

/** Version of the CapacityResult shape. */
export const CAPACITY_RESULT_SCHEMA_VERSION = 1;

/** One rate held for one step. */
export interface CapacityStep {
  /** Order in the search, from 0. */
  index: number;
  /** Geometric ramp or bisection. */
  phase: 'ramp' | 'bisect';
  /** Offered (scheduled) rate, requests/s. */
  offeredPerSec: number;
  /** Responses (any status) completed within the measured window, per second of it (as `load`'s rate.achieved). */
  achievedPerSec: number;
  /** Requests handed to a connection per second of the send window. */
  sentPerSec: number;
  /** The same as achievedPerSec (kept for readers of the first results, where achieved counted sends). */
  throughputPerSec: number;
  /** Finished requests (responses, transport errors and drops). */
  requests: number;
  /** Errors among them. */
  errors: number;
  /** errors / requests. */
  errorRate: number;
  /** Sends more than 10 ms behind schedule, for any reason. */
  late: number;
  /** Scheduled requests never sent. */
  dropped: number;
  /** Latency from the intended send time, ms. */
  latencyMs: LatencySpectrumMs;
  /** Service time from the actual send, ms. */
  serviceMs: LatencySpectrumMs;
  /** The SLO at this rate, term by term. */
  slo: { pass: boolean; terms: SloTermResult[] };
  /** The generator's own load during the step. */
  generator: { workers: number; cpuPercent: number; eventLoopDelayP99Ms: number; issuedBehind: number };
  /** Whose limit the step hit. */
  saturation: Saturation;
  /** What the search made of the step. */
  outcome: StepOutcome;
  /** The generator fell behind at this rate and the rate was run once more; the search ignored this step. */
  retried: boolean;
  /** When the step started, ms after the search started. */
  startedAtMs: number;
  /** Warm-up, measurement and drain of the step, ms. */
  elapsedMs: number;
}

/** Why a target's search ended: a search verdict, or an interruption. */
export type CapacityVerdict = SearchVerdict | 'interrupted';

// The exit-code table (exit-codes.ts) names every verdict, and only these: a new verdict does not compile without its code.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const verdictsHaveExitCodes: Same<CapacityVerdict, VerdictWithExitCode> = true;
void verdictsHaveExitCodes;

/** The search of one target. */
export interface CapacityTargetResult {
  /** "target", or "compare" for the --compare URL. */
  label: string;
  /** The target's base URL. */
  url: string;
  /** Why the search ended. */
  verdict: CapacityVerdict;
  /** Highest rate that met the SLO with the schedule kept, requests/s; null when none did. */
  capacityPerSec: number | null;
  /** The capacity lies in [lowPerSec, highPerSec): highest passing and lowest failing rate tried. */
  interval: { lowPerSec: number | null; highPerSec: number | null };
  /** (high − low) / low, the precision reached; null without both ends. */
  relativeWidth: number | null;
  /** Where p99 starts to climb on the measured curve; null for a flat curve or too few points. */
  knee: Knee | null;
  /** The verdict in one sentence, with numbers. */
  reason: string;
  /** What to do next, when there is something to do. */
  suggestion: string | null;
  /** Caveats collected from the steps. */
  warnings: string[];
  /** Every step, in the order run. */
  steps: CapacityStep[];
}

/** Capacity of the --compare target relative to the first. */
export interface CapacityComparison {
  /** capacity(compare) / capacity(target); null when either has no capacity. */
  ratio: number | null;
  /** URL of the reference (the first target). */
  referenceUrl: string;
  /** URL compared with it. */
  compareUrl: string;
  /** The ratio in a sentence. */
  note: string;
}

/** The whole capacity run. */
export interface CapacityResult {
  /** Version of this shape. */
  schemaVersion: number;
  /** Always "capacity", so a reader can tell it from a RunResult. */
  kind: 'capacity';
  /** The scenario's name, or "capacity <url>". */
  name: string;
  /** When the run started and ended (ISO 8601). */
  startedAt: string;
  endedAt: string;
  /** The SLO held at every step. */
  slo: { text: string; terms: SloTerm[] };
  /** How the search ran. */
  settings: {
    startPerSec: number;
    maxPerSec: number;
    factor: number;
    precision: number;
    stepDurationMs: number;
    warmupMs: number;
    cooldownMs: number;
    connections: number;
    workers: number;
    timeoutMs: number;
    requests: string[];
    /** With --shards: each step's load came from this many shards, run by this executor. */
    shards?: { count: number; executor: string };
  };
  /** One search per target. */
  targets: CapacityTargetResult[];
  /** With --compare: the capacity ratio. */
  comparison: CapacityComparison | null;
  /** The machine the generator ran on. */
  machine: { hostname: string; cpus: number; cpuModel: string; node: string };
  /** The exit code of the run. */
  exitCode: number;
}

/** A target's result from the finished search state and its steps. */
export function targetResult(
  label: string,
  url: string,
  state: SearchState,
  steps: CapacityStep[],
  interrupted: boolean,
): CapacityTargetResult {
  const verdict: CapacityVerdict = interrupted ? 'interrupted' : (state.verdict ?? 'interrupted');
  const low = state.highestPassPerSec ?? null;
  const high = state.lowestFailPerSec ?? null;
  const measured = steps.filter((s) => !s.retried);
  const knee = findKnee(measured.map((s) => ({ ratePerSec: s.offeredPerSec, latencyMs: s.latencyMs.p99 }))) ?? null;
  const last = steps[steps.length - 1];
  const workers = last?.generator.workers ?? 1;
  const warnings = [...new Set(steps.flatMap((s) => s.saturation.warnings))];
  const bracket =
    low !== null && high !== null ? ` (interval [${formatRatePerSec(low)}, ${formatRatePerSec(high)}))` : '';
  let reason: string;
  let suggestion: string | null = null;
  switch (verdict) {
    case 'found':
      reason = `the highest rate that met the SLO was ${formatRatePerSec(low as number)}; ${formatRatePerSec(high as number)} broke it${bracket}, a bracket ${((((high as number) - (low as number)) / (low as number)) * 100).toFixed(1)}% wide`;
      break;
    case 'max-reached':
      reason = `every rate up to the maximum ${formatRatePerSec(low as number)} met the SLO: the capacity is at least that`;
      suggestion = 'raise --max (capacity.max) to search higher';
      break;
    case 'slo-fails-at-start':
      reason = `the SLO failed already at the first rate, ${formatRatePerSec(high as number)}: no compliant rate was found`;
      suggestion = 'lower --start (capacity.start), or check the SLO against the service at light load';
      break;
    case 'generator-limited':
      reason = `the generator's own queue made the latency at ${formatRatePerSec(last?.offeredPerSec ?? 0)}: the limit reached is the generator's, not the service's${low === null ? '' : `; the service met the SLO up to ${formatRatePerSec(low)}, so its capacity is at least that`}`;
      suggestion = generatorSuggestion(workers, last?.saturation.advice);
      break;
    case 'step-limit':
      reason = `the search ran out of steps before the bracket was narrow enough${bracket}`;
      suggestion = 'raise the precision (a larger percentage) or the start rate';
      break;
    case 'interrupted':
      reason = `interrupted after ${steps.length} step${steps.length === 1 ? '' : 's'}${bracket}`;
      break;
  }
  return {
    label,
    url,
    verdict,
    capacityPerSec: verdict === 'slo-fails-at-start' ? null : low,
    interval: { lowPerSec: low, highPerSec: high },
    relativeWidth: low !== null && high !== null ? Number(((high - low) / low).toFixed(4)) : null,
    knee,
    reason,
    suggestion,
    warnings,
    steps,
  };
}

/** The capacity ratio of `compare` to `reference`. */
export function compareCapacity(reference: CapacityTargetResult, compare: CapacityTargetResult): CapacityComparison {
  const a = reference.capacityPerSec;
  const b = compare.capacityPerSec;
  const lowerBound = (t: CapacityTargetResult): boolean =>
    t.verdict === 'max-reached' || t.verdict === 'generator-limited' || t.verdict === 'step-limit';
  if (a === null || b === null || a === 0) {
    return {
      ratio: null,
      referenceUrl: reference.url,
      compareUrl: compare.url,
      note: 'no ratio: at least one target met the SLO at no rate tried',
    };
  }
  const ratio = Number((b / a).toFixed(4));
  const bounds = lowerBound(reference) || lowerBound(compare);
  return {
    ratio,
    referenceUrl: reference.url,
    compareUrl: compare.url,
    note: `${compare.url} takes ${(ratio * 100).toFixed(1)}% of the rate ${reference.url} takes (${formatRatePerSec(b)} vs ${formatRatePerSec(a)})${bounds ? '; at least one capacity is only a lower bound, so the ratio is too' : ''}`,
  };
}
