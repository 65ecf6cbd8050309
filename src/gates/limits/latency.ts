/**
 * Latency limits: a quantile, the mean or the maximum of the canary against an absolute bound or
 * against a reference arm × ratio + slack. Quantiles use exact order-statistic bounds of each arm
 * (widened by the arm's bursts); a relative quantile limit tests the ratio of the canary's
 * quantile to the limit itself — ln(canary) − ln(ratio · reference + slack), its half-widths
 * from the two arms' order-statistic intervals combined as independent (Price & Bonett's interval
 * for a ratio of medians, for any quantile) — so a clear regression fails without waiting for two
 * intervals to stop overlapping. Pure.
 */
import type { Check } from '../../scenario/schema.js';
import { type JudgedArm, meanDesignEffect, meanOf, quantileDesignEffect } from '../arms.js';
import { formatCount, formatInterval, formatNumber, formatRatioInterval, formatValue, spaced } from '../format.js';
import { normalQuantile } from '../stats/normal.js';
import { type LatencySample, quantileBounds, quantileEstimate, samplesForBound } from '../stats/quantile-interval.js';
import {
  bound,
  decide,
  type Evidence,
  type LimitContext,
  type LimitOutcome,
  openTail,
  samplesToDecide,
} from './outcome.js';

/** The quantile each percentile check names. */
export const QUANTILE: Readonly<Record<string, number>> = {
  p50: 0.5,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
  p999: 0.999,
};

/** Fewest samples a mean's normal interval is given. */
const MEAN_MIN_SAMPLES = 30;

/** An arm's latency statistic with one-sided bounds, µs. */
export interface LatencyReading {
  estimate: number;
  lower: number | undefined;
  upper: number | undefined;
  /** Samples, failures included. */
  n: number;
  /** Samples counted as independent (n / design effect). */
  nEffective: number;
  /** Samples needed before both bounds can exist at these levels (bursts included). */
  minForBounds: number;
}

function readMean(arm: JudgedArm, aLower: number, aUpper: number): LatencyReading {
  const s = arm.sample;
  const all = meanOf(s);
  const n = all.n;
  const none = { lower: undefined, upper: undefined, n, nEffective: n, minForBounds: MEAN_MIN_SAMPLES };
  // Failures without a known timeout make the mean unbounded above; below, they count at 0.
  const finite: LatencySample = Number.isFinite(s.failureUs) ? s : { ...s, failures: 0 };
  const m = meanOf(finite);
  if (m.n < 2 || !(m.mean > 0)) return { estimate: all.mean, ...none };
  const deff = meanDesignEffect(arm, m.variance);
  const seLog = Math.sqrt((m.variance * deff) / m.n) / m.mean;
  const share = m.n / n;
  const lower = m.mean * Math.exp(-normalQuantile(1 - aLower) * seLog) * share;
  const upper = Number.isFinite(all.mean) ? m.mean * Math.exp(normalQuantile(1 - aUpper) * seLog) : Infinity;
  const enough = m.n >= MEAN_MIN_SAMPLES;
  return {
    estimate: all.mean,
    lower: enough ? lower : undefined,
    upper: enough ? upper : undefined,
    n,
    nEffective: n / deff,
    minForBounds: Math.ceil(MEAN_MIN_SAMPLES * deff),
  };
}

/** The canary's or a reference's statistic for a latency check, at one-sided levels. */
export function readLatency(check: Check, arm: JudgedArm, aLower: number, aUpper: number): LatencyReading {
  const s = arm.sample;
  const n = s.buckets.total + s.failures;
  if (check.metric === 'max') {
    const top = s.failures > 0 ? s.failureUs : (s.buckets.high[s.buckets.high.length - 1] ?? Number.NaN);
    return {
      estimate: n === 0 ? Number.NaN : top,
      lower: undefined,
      upper: undefined,
      n,
      nEffective: n,
      minForBounds: 1,
    };
  }
  if (check.metric === 'mean') return readMean(arm, aLower, aUpper);
  const q = QUANTILE[check.metric] ?? 0.5;
  const estimate = quantileEstimate(s, q);
  const deff = Number.isFinite(estimate) ? quantileDesignEffect(arm, estimate) : 1;
  const b = quantileBounds(s, q, aLower, aUpper, deff);
  const minForBounds = Math.ceil(
    Math.max(
      samplesForBound(q, Math.max(aLower, 1e-15), 'lower'),
      samplesForBound(q, Math.max(aUpper, 1e-15), 'upper'),
    ) * deff,
  );
  return { estimate: b.estimateUs, lower: b.lowerUs, upper: b.upperUs, n, nEffective: b.nEffective, minForBounds };
}

const ms = (us: number | undefined) => (us === undefined ? undefined : us / 1000);

/** "canary p99 79.9 ms [76.3 ms, 83.1 ms]". */
function described(who: string, check: Check, r: LatencyReading): string {
  const interval = check.metric === 'max' ? '' : formatInterval('ms', ms(r.lower), ms(r.upper));
  return `${who} ${check.metric} ${formatValue('ms', ms(r.estimate))}${spaced(interval)}`;
}

/** What the reader should know about how an arm's samples were counted. */
function notes(arm: JudgedArm, r: LatencyReading): string[] {
  const parts: string[] = [];
  const f = arm.sample.failures;
  if (f > 0) {
    const at = Number.isFinite(arm.sample.failureUs)
      ? `counted at the ${formatValue('ms', arm.sample.failureUs / 1000)} timeout`
      : 'counted as slower than any response';
    parts.push(`${formatCount(f)} of ${formatCount(r.n)} ${arm.label} requests failed without a response (${at})`);
  }
  if (r.nEffective < 0.8 * r.n) {
    parts.push(
      `bursts: ${formatCount(r.n)} ${arm.label} samples count as ${formatCount(r.nEffective)} independent ones`,
    );
  }
  return parts;
}

function outcome(
  evidence: Evidence,
  ctx: LimitContext,
  enough: boolean,
  canary: LatencyReading,
  head: (verb: string) => string,
  notes: string[],
  threshold: number,
  statistical: boolean,
): LimitOutcome {
  const status = decide(evidence, ctx, enough);
  const finite = (us: number | undefined) => (us !== undefined && Number.isFinite(us) ? us / 1000 : null);
  const base = {
    threshold: threshold / 1000,
    interval: statistical ? ([finite(canary.lower), finite(canary.upper)] as [number | null, number | null]) : null,
    statistical,
    ...(notes.length > 0 ? { notes } : {}),
  };
  if (status === 'fail') return { ...base, status, sentence: head('exceeds') };
  if (status === 'pass') return { ...base, status, sentence: head('is within') };
  const needSamples = Math.max(ctx.minSamples, canary.minForBounds, samplesToDecide(canary.n, evidence) ?? 0);
  const waiting =
    !ctx.mayPass && evidence.passBound !== undefined && evidence.passBound <= 0
      ? 'within on the evidence so far; passes wait for the planned end of the step'
      : openTail(canary.n, needSamples, formatCount);
  return { ...base, status, needSamples, sentence: `${head('against')}: ${waiting}` };
}

/** The canary's latency statistic against an absolute upper bound (ms). */
export function latencyAbsolute(check: Check, canary: JudgedArm, maxMs: number, ctx: LimitContext): LimitOutcome {
  const c = readLatency(check, canary, ctx.aFail, ctx.aPass);
  const maxUs = maxMs * 1000;
  const statistical = check.metric !== 'max';
  const point = Math.log(c.estimate / maxUs);
  const against = (us: number | undefined) => (us === undefined ? undefined : bound(Math.log(us / maxUs)));
  const evidence: Evidence = statistical
    ? { estimate: point, failBound: against(c.lower), passBound: against(c.upper) }
    : { estimate: point, failBound: point, passBound: point };
  const head = (verb: string) => `${described('canary', check, c)} ${verb} ${formatValue('ms', maxMs)}`;
  return outcome(evidence, ctx, c.n >= ctx.minSamples, c, head, notes(canary, c), maxUs, statistical);
}

/** A relative limit: canary ≤ reference × ratio + slack (slack in ms). */
export interface RelativeLimit {
  ratio: number;
  slack: number;
}

/**
 * The ratio of the canary's statistic to the limit, ln(canary) − ln(ratio · reference + slack),
 * with one-sided bounds: the canary's lower bound against the reference's upper one for "beyond",
 * and the other way round for "within", their log half-widths added in quadrature.
 */
export function ratioEvidence(
  c: LatencyReading,
  r: LatencyReading,
  limit: (x: number) => number,
): Evidence & { failHalf?: number; passHalf?: number } {
  const lc = Math.log(c.estimate);
  const lt = Math.log(limit(r.estimate));
  const estimate = lc - lt;
  const half = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : bound(Math.hypot(a, b));
  const failHalf = half(
    c.lower === undefined ? undefined : lc - Math.log(c.lower),
    r.upper === undefined ? undefined : Math.log(limit(r.upper)) - lt,
  );
  const passHalf = half(
    c.upper === undefined ? undefined : Math.log(c.upper) - lc,
    r.lower === undefined ? undefined : lt - Math.log(limit(r.lower)),
  );
  // A canary whose quantile is shown to be a failure is past any finite limit.
  const shownFailed = c.lower === Number.POSITIVE_INFINITY && r.upper !== undefined && Number.isFinite(limit(r.upper));
  return {
    estimate,
    failBound: shownFailed ? Number.POSITIVE_INFINITY : bound(failHalf === undefined ? undefined : estimate - failHalf),
    passBound: bound(passHalf === undefined ? undefined : estimate + passHalf),
    ...(failHalf !== undefined ? { failHalf } : {}),
    ...(passHalf !== undefined ? { passHalf } : {}),
  };
}

/** The canary's latency statistic against a reference arm × ratio + slack. */
export function latencyRelative(
  check: Check,
  canary: JudgedArm,
  ref: JudgedArm,
  limit: RelativeLimit,
  ctx: LimitContext,
): LimitOutcome {
  const c = readLatency(check, canary, ctx.aFail, ctx.aPass);
  // The reference's bounds swap sides: its upper end limits "beyond", its lower end "within".
  const r = readLatency(check, ref, ctx.aPass, ctx.aFail);
  const slackUs = limit.slack * 1000;
  const toLimit = (x: number) => limit.ratio * x + slackUs;
  const statistical = check.metric !== 'max';
  const point = Math.log(c.estimate) - Math.log(toLimit(r.estimate));
  const evidence: Evidence = statistical
    ? ratioEvidence(c, r, toLimit)
    : { estimate: point, failBound: point, passBound: point };
  const ratioText = statistical
    ? ` (canary ÷ limit ${formatNumber(Math.exp(point))}${spaced(
        formatRatioInterval(
          evidence.failBound === undefined ? undefined : Math.exp(evidence.failBound),
          evidence.passBound === undefined ? undefined : Math.exp(evidence.passBound),
        ),
      )})`
    : '';
  const head = (verb: string) =>
    `${described('canary', check, c)} ${verb} ${described(ref.label, check, r)} × ${limit.ratio} + ${formatValue('ms', limit.slack)} = ${formatValue('ms', toLimit(r.estimate) / 1000)}${ratioText}`;
  const enough = c.n >= ctx.minSamples && r.n >= ctx.minSamples;
  return outcome(
    evidence,
    ctx,
    enough,
    c,
    head,
    [...notes(canary, c), ...notes(ref, r)],
    toLimit(r.estimate),
    statistical,
  );
}
