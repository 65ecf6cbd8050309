/**
 * The throughput limit: completed requests per second of the canary, at least `min`. Counts are
 * taken as Poisson (overdispersed by how unevenly they fall in windows); a rate needs the whole
 * planned window, so it is judged from the planned end of the step on. Pure.
 */
import { countOverdispersion, type JudgedArm } from '../arms.js';
import { formatCount, formatInterval, formatValue, spaced } from '../format.js';
import { countBounds } from '../stats/proportions.js';
import { decide, type Evidence, type LimitContext, type LimitOutcome, openTail, samplesToDecide } from './outcome.js';

/** The canary's throughput against a minimum (per second). */
export function throughputAbsolute(canary: JudgedArm, min: number, ctx: LimitContext): LimitOutcome {
  const seconds = canary.durationMs / 1000;
  const rate = seconds > 0 ? canary.requests / seconds : 0;
  const base = { threshold: min, statistical: true };
  const what = `canary throughput ${formatValue('perSec', rate)}`;
  if (!ctx.mayPass || seconds <= 0) {
    return { ...base, interval: null, status: 'inconclusive', sentence: `${what}; judged at the end of the step` };
  }
  const deff = countOverdispersion(canary);
  const b = countBounds(canary.requests / deff, ctx.aPass, ctx.aFail);
  const lower = (b.lower * deff) / seconds;
  const upper = (b.upper * deff) / seconds;
  // Distance past the margin: how far the rate falls short of the minimum.
  const evidence: Evidence = { estimate: min - rate, failBound: min - upper, passBound: min - lower };
  const status = decide(evidence, ctx, true);
  const interval = [lower, upper] as [number, number];
  const shown = `${what}${spaced(formatInterval('perSec', lower, upper))}`;
  if (status === 'fail')
    return { ...base, interval, status, sentence: `${shown} is under ${formatValue('perSec', min)}` };
  if (status === 'pass') return { ...base, interval, status, sentence: `${shown} meets ${formatValue('perSec', min)}` };
  const needSamples = samplesToDecide(canary.requests, evidence);
  return {
    ...base,
    interval,
    status,
    ...(needSamples !== undefined ? { needSamples } : {}),
    sentence: `${shown} against ${formatValue('perSec', min)}: ${openTail(canary.requests, needSamples, formatCount)}`,
  };
}
