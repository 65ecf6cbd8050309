/**
 * Error-rate limits: an absolute cap (exact Clopper-Pearson bounds on the canary's rate) and a
 * limit relative to a reference arm, ratio × reference + slack (a score test against that
 * margin). Error storms count: both use effective counts, the requests divided by how much
 * errors cluster in windows. 429s are left out and reported apart. Pure.
 */
import { errorDesignEffect, type JudgedArm } from '../arms.js';
import { formatCount, formatInterval, formatNumber, formatValue, spaced } from '../format.js';
import { proportionBounds } from '../stats/beta.js';
import { normalQuantile } from '../stats/normal.js';
import { marginScoreTest } from '../stats/proportions.js';
import type { RelativeLimit } from './latency.js';
import { decide, type Evidence, type LimitContext, type LimitOutcome, openTail, samplesToDecide } from './outcome.js';

/** "0.6% (36/6 000, plus 4 throttled 429s)". */
function rateOf(arm: JudgedArm): string {
  const p = arm.requests === 0 ? 0 : arm.errors / arm.requests;
  const throttled = arm.throttled > 0 ? `, plus ${formatCount(arm.throttled)} throttled 429s` : '';
  return `${formatValue('fraction', p)} (${formatCount(arm.errors)}/${formatCount(arm.requests)}${throttled})`;
}

/** "errors come in bursts: 6 000 requests count as 1 200" when clustering matters. */
function burstNote(arm: JudgedArm, deff: number): string[] {
  return deff > 1.25
    ? [
        `errors come in bursts: ${formatCount(arm.requests)} ${arm.label} requests count as ${formatCount(arm.requests / deff)}`,
      ]
    : [];
}

/** The canary's error rate against an absolute cap (a fraction). */
export function errorAbsolute(canary: JudgedArm, max: number, ctx: LimitContext): LimitOutcome {
  const n = canary.requests;
  const deff = errorDesignEffect(canary);
  const p = n === 0 ? 0 : canary.errors / n;
  const b = proportionBounds(canary.errors / deff, n / deff, ctx.aFail, ctx.aPass);
  const evidence: Evidence = { estimate: p - max, failBound: b.lower - max, passBound: b.upper - max };
  const status = decide(evidence, ctx, n >= ctx.minSamples);
  const notes = burstNote(canary, deff);
  const base = {
    threshold: max,
    interval: [b.lower, b.upper] as [number, number],
    statistical: true,
    ...(notes.length > 0 ? { notes } : {}),
  };
  const head = (verb: string) =>
    `canary error rate ${rateOf(canary)}${spaced(formatInterval('fraction', b.lower, b.upper))} ${verb} ${formatValue('fraction', max)}`;
  if (status === 'fail') return { ...base, status, sentence: head('exceeds') };
  if (status === 'pass') return { ...base, status, sentence: head('is within') };
  // No errors: the upper bound shrinks as 1/n (the rule of three), not 1/√n.
  const need =
    canary.errors === 0 && max > 0
      ? Math.ceil((Math.log(Math.max(ctx.aPass, 1e-15)) / Math.log1p(-max)) * deff)
      : samplesToDecide(n, evidence);
  const needSamples = Math.max(ctx.minSamples, need ?? 0);
  return { ...base, status, needSamples, sentence: `${head('against')}: ${openTail(n, needSamples, formatCount)}` };
}

/** The canary's error rate against a reference's × ratio + slack (fractions). */
export function errorRelative(
  canary: JudgedArm,
  ref: JudgedArm,
  limit: RelativeLimit,
  ctx: LimitContext,
): LimitOutcome {
  const dc = errorDesignEffect(canary);
  const dr = errorDesignEffect(ref);
  const pr = ref.requests === 0 ? 0 : ref.errors / ref.requests;
  const bound = pr * limit.ratio + limit.slack;
  const notes = [...burstNote(canary, dc), ...burstNote(ref, dr)];
  const base = { threshold: bound, interval: null, statistical: true, ...(notes.length > 0 ? { notes } : {}) };
  const score = marginScoreTest(
    canary.errors / dc,
    canary.requests / dc,
    ref.errors / dr,
    ref.requests / dr,
    limit.ratio,
    limit.slack,
  );
  const head = (verb: string, test: string) =>
    `canary error rate ${rateOf(canary)} ${verb} ${ref.label} ${rateOf(ref)} × ${limit.ratio} + ${formatValue('fraction', limit.slack)} = ${formatValue('fraction', bound)}${test}`;
  if (!score) {
    const why =
      canary.requests === 0 || ref.requests === 0
        ? 'no requests to compare yet'
        : 'no errors in either arm: a ratio without slack cannot be shown either way; give the limit a slack';
    return { ...base, status: 'inconclusive', needSamples: ctx.minSamples, sentence: `${head('against', '')}: ${why}` };
  }
  const evidence: Evidence = {
    estimate: score.distance,
    failBound: score.distance - normalQuantile(1 - ctx.aFail) * score.se,
    passBound: score.distance + normalQuantile(1 - ctx.aPass) * score.se,
  };
  const enough = canary.requests >= ctx.minSamples && ref.requests >= ctx.minSamples;
  const status = decide(evidence, ctx, enough);
  const test = ` (score test z = ${formatNumber(score.z)})`;
  if (status === 'fail') return { ...base, status, sentence: head('exceeds', test) };
  if (status === 'pass') return { ...base, status, sentence: head('is within', test) };
  const needSamples = Math.max(ctx.minSamples, samplesToDecide(canary.requests, evidence) ?? 0);
  return {
    ...base,
    status,
    needSamples,
    sentence: `${head('against', test)}: ${openTail(canary.requests, needSamples, formatCount)}`,
  };
}
