/**
 * Whose limit a step hit: the service's, or the generator's own. Pure. The open model measures
 * latency from the intended send, so a generator that falls behind its schedule inflates latency
 * exactly as a slow service would; without this check a weak load generator would be reported as
 * a weak service.
 *
 * The generator half is the engine's one rule (load/generator-limit.ts), the same that `load`,
 * `run` and `regress` apply, over the step and its seconds: schedule lag, its own backlog while
 * busy, or a connection cap below what the rate needs. Capacity tells it what a healthy service time is: the SLO's latency terms
 * met by the service time alone. The SLO half is capacity's own: with the generator cleared, a
 * broken SLO is the service's limit, with the signs that say so.
 */
import {
  type GeneratorLimit,
  type GeneratorLimitReason,
  type GeneratorSecond,
  type GeneratorWindow,
  generatorLimit,
  generatorLimitAdvice,
  generatorLimitOver,
} from '../load/generator-limit.js';

/** What a step measured about the load it offered and the generator that offered it. */
export interface StepLoadFigures {
  /** Offered rate, requests/s. */
  offeredPerSec: number;
  /** Sends more than LATE_AFTER_MS behind schedule, for any reason (incl. waiting for a connection). */
  late: number;
  /** Requests scheduled in the measured window. */
  scheduled: number;
  /** Scheduled requests never sent (no connection came free before their timeout). */
  dropped: number;
  /** Responses completed per second over the measured window. */
  throughputPerSec: number;
  /** The generator's signals over the step (LoadResult.generator.signals). */
  generator: GeneratorWindow;
  /** The generator's per-second signals over the step (LoadResult.generatorIntervals). */
  seconds: readonly GeneratorSecond[];
  /** Whether the SLO held at this step. */
  sloPass: boolean;
  /** Whether the service time (from the actual send) alone would have met the SLO's latency terms. */
  serviceTimeMeetsSlo: boolean;
  /**
   * A sharded step: each shard's own signals, in index order. One shard behind its schedule
   * makes the merged latency partly its own, even when the merged signals dilute it.
   */
  shards?: GeneratorWindow[];
  /** A sharded step's shards that started their schedules late (start-lag reasons, each naming its shard). */
  startLags?: GeneratorLimitReason[];
}

/** The classification of one step. */
export interface Saturation {
  /** generator: the generator's own queue made the latency; server: the SLO broke with the generator clear; none: it held. */
  limitedBy: 'generator' | 'server' | 'none';
  /** Why, in numbers. */
  reasons: string[];
  /** Caveats that do not change the classification. */
  warnings: string[];
  /** What to do when the generator was the limit (more workers, or more connections). */
  advice?: string;
}

/** More than this fraction of sends late is worth naming when the service broke the SLO. */
const LATE_SIGN_FRACTION = 0.01;

const pct = (fraction: number): string => `${Number((fraction * 100).toFixed(1))}%`;
const fixed = (value: number): string => `${Number(value.toFixed(1))}`;

/** Classify one step. */
export function classifySaturation(f: StepLoadFigures): Saturation {
  const context = { serviceTimeHealthy: f.serviceTimeMeetsSlo };
  let limit: GeneratorLimit = generatorLimitOver(f.generator, f.seconds, context);
  if (!limit.limited && f.shards) {
    const own = f.shards.map((w) => generatorLimit(w, context));
    const named = (i: number, text: string): string => `shard ${i}: ${text}`;
    if (own.some((l) => l.limited))
      limit = {
        limited: true,
        reasons: own.flatMap((l, i) => l.reasons.map((r) => ({ ...r, text: named(i, r.text) }))),
        warnings: limit.warnings,
      };
  }
  // Shards that started apart never offered the rate together: whatever the service did, the
  // step did not measure it at this rate.
  if (f.startLags && f.startLags.length > 0)
    limit = {
      limited: true,
      reasons: [...f.startLags, ...(limit.limited ? limit.reasons : [])],
      warnings: limit.warnings,
    };
  const warnings = [...limit.warnings];
  if (limit.limited) {
    const reasons = limit.reasons.map((r) => `${r.text}: the limit is the generator's, not the service's`);
    const advice = generatorLimitAdvice(limit, f.generator.threads);
    return { limitedBy: 'generator', reasons, warnings, ...(advice ? { advice } : {}) };
  }
  if (f.sloPass) return { limitedBy: 'none', reasons: [], warnings };
  const reasons = ['the SLO broke while the generator kept its schedule'];
  if (f.throughputPerSec < 0.95 * f.offeredPerSec)
    reasons.push(`throughput ${fixed(f.throughputPerSec)}/s fell short of the ${fixed(f.offeredPerSec)}/s offered`);
  const late = f.late / Math.max(1, f.scheduled);
  if (late > LATE_SIGN_FRACTION) reasons.push(`${pct(late)} of sends waited for a free connection`);
  if (f.dropped > 0) reasons.push(`${f.dropped} requests were dropped (no connection came free in time)`);
  return { limitedBy: 'server', reasons, warnings };
}

/** What to do about a generator limit in a capacity search: the step's advice (more workers, or more connections). */
export function generatorSuggestion(workers: number, advice?: string): string {
  return `the generator's own queue, not the service, was the limit: ${advice ?? `spread the generator over more worker threads (--workers ${Math.max(2, workers * 2)}, with --connections to match) or shard it over several machines`}, then search again`;
}
