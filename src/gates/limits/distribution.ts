/**
 * The distribution limit: is the typical canary request within the allowed ratio of the
 * baseline's? Tested against the margin itself — Mann-Whitney on the canary held to the margin,
 * θ = P((canary − slack) / ratio > baseline): above ½ on evidence the canary is beyond it, below
 * ½ within it. The sentence gives the Hodges-Lehmann ratio (the median of pairwise ratios). Pure.
 */
import type { JudgedArm } from '../arms.js';
import { formatCount, formatNumber, formatRatioInterval, formatValue, spaced } from '../format.js';
import { hodgesLehmannRatio, marginShift } from '../stats/mann-whitney.js';
import { normalQuantile } from '../stats/normal.js';
import type { RelativeLimit } from './latency.js';
import { decide, type Evidence, type LimitContext, type LimitOutcome, openTail, samplesToDecide } from './outcome.js';

/** The canary's latency distribution against a reference's × ratio + slack (slack in ms). */
export function distributionRelative(
  canary: JudgedArm,
  ref: JudgedArm,
  limit: RelativeLimit,
  ctx: LimitContext,
): LimitOutcome {
  const shift = marginShift(canary.sample, ref.sample, limit.ratio, limit.slack * 1000, {
    canary: canary.windows.map((w) => w.sample),
    baseline: ref.windows.map((w) => w.sample),
  });
  const base = { threshold: limit.ratio, interval: null, statistical: true };
  if (Number.isNaN(shift.theta)) {
    return {
      ...base,
      status: 'inconclusive',
      needSamples: ctx.minSamples,
      sentence: `no ${shift.n1 === 0 ? 'canary' : ref.label} samples to compare`,
    };
  }
  const fail = shift.theta - normalQuantile(1 - ctx.aFail) * shift.se;
  const pass = shift.theta + normalQuantile(1 - ctx.aPass) * shift.se;
  const evidence: Evidence = { estimate: shift.theta - 0.5, failBound: fail - 0.5, passBound: pass - 0.5 };
  const status = decide(evidence, ctx, shift.n1 >= ctx.minSamples && shift.n2 >= ctx.minSamples);
  const typical = hodgesLehmannRatio(canary.sample, ref.sample);
  const allowed = `${limit.ratio} ×${limit.slack !== 0 ? ` + ${formatValue('ms', limit.slack)}` : ''}`;
  const test = `Mann-Whitney P(canary ÷ ${limit.ratio} slower) ${formatNumber(shift.theta)}${spaced(formatRatioInterval(Math.max(fail, 1e-9), Math.min(pass, 1)))}`;
  const head = (verb: string) =>
    `canary latency is typically ${formatNumber(typical)} × the ${ref.label}'s (Hodges-Lehmann), ${verb} the allowed ${allowed} (${test})`;
  if (status === 'fail') return { ...base, status, sentence: head('beyond') };
  if (status === 'pass') return { ...base, status, sentence: head('within') };
  const needSamples = Math.max(ctx.minSamples, samplesToDecide(shift.n1, evidence) ?? 0);
  return {
    ...base,
    status,
    needSamples,
    sentence: `${head('against')}: ${openTail(shift.n1, needSamples, formatCount)}`,
  };
}
