/**
 * What every limit of a check shares: its levels at this look, the three outcomes decided on
 * evidence, and the samples this look would need. A limit measures a distance from its margin
 * (0 = on the margin, above = beyond it) with a bound on each side: it fails when the bound at
 * the fail level is past the margin, passes when the bound at the pass level is within it, and is
 * inconclusive otherwise. Pure.
 */
import type { CheckStatus, Interval } from '../verdict.js';

/** The levels and rules of one look. */
export interface LimitContext {
  /** One-sided level of "shown beyond the margin" for this limit (its share of the look's alpha). */
  aFail: number;
  /** One-sided level of "shown within the margin" (the look's beta; 0: nothing may pass). */
  aPass: number;
  /** Checks may pass at this look (the step has run its planned duration). */
  mayPass: boolean;
  /** Fewest requests per arm before a check can pass. */
  minSamples: number;
}

/** One limit's result. */
export interface LimitOutcome {
  status: CheckStatus;
  /** The bound it was held to, in the check's unit. */
  threshold: number | null;
  /** The canary statistic's interval (lower at the fail level, upper at the pass level). */
  interval: Interval | null;
  /** Canary samples this look would need to decide, when inconclusive. */
  needSamples?: number;
  sentence: string;
  /** How samples were counted (failures, bursts): said once per check after its sentences. */
  notes?: string[];
  /** Whether alpha was spent on it. */
  statistical: boolean;
}

/** A distance from the margin with its bounds (log scale for latency, absolute for proportions). */
export interface Evidence {
  /** Point estimate: above 0 beyond the margin. */
  estimate: number;
  /** Lower bound at the fail level; undefined when the samples cannot bound it. */
  failBound: number | undefined;
  /** Upper bound at the pass level. */
  passBound: number | undefined;
}

/** Largest "samples needed" the judge states; beyond it a check sits on its margin. */
export const NEED_CAP = 1e9;

/** The outcome the evidence supports. */
export function decide(e: Evidence, ctx: LimitContext, enough: boolean): CheckStatus {
  if (e.failBound !== undefined && e.failBound > 0) return 'fail';
  if (ctx.mayPass && enough && e.passBound !== undefined && e.passBound <= 0) return 'pass';
  return 'inconclusive';
}

/**
 * Samples at which this look's bound would clear the margin, with the estimate where it is and
 * the interval shrinking as 1/√n: n·(half-width / distance)². Undefined when the bound is missing.
 */
export function samplesToDecide(n: number, e: Evidence): number | undefined {
  if (!Number.isFinite(e.estimate)) return undefined;
  const half = e.estimate > 0 ? e.estimate - (e.failBound ?? Number.NaN) : (e.passBound ?? Number.NaN) - e.estimate;
  if (!(half >= 0)) return undefined;
  if (e.estimate === 0) return NEED_CAP;
  return Math.min(NEED_CAP, Math.ceil(n * (half / Math.abs(e.estimate)) ** 2));
}

/** "not decided on 1 200 samples (about 5 400 needed)", the sentence tail of an open limit. */
export function openTail(n: number, need: number | undefined, fmt: (x: number) => string): string {
  if (need === undefined) return `not decided on ${fmt(n)} samples`;
  if (need >= NEED_CAP) return `not decided on ${fmt(n)} samples (the canary sits on the margin)`;
  return `not decided on ${fmt(n)} samples (about ${fmt(Math.max(need, n + 1))} needed)`;
}

/** A bound that is a number (not NaN), else undefined. */
export const bound = (x: number | undefined): number | undefined =>
  x === undefined || Number.isNaN(x) ? undefined : x;
