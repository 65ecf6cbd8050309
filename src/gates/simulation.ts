/**
 * Judge simulation: full five-step rollouts with samples drawn from known distributions, judged
 * the way the driver judges (looks, alpha spending, last baseline at 100 %), next to a fixed
 * point-estimate threshold (Flagger-style) on the same draws. Pure (seeded random numbers); the
 * runner is bench/judge-sim.js, a small version runs in the tests.
 */
import { createHistogram, type Histogram, recordMs } from '../hdr/histogram.js';
import type { Check } from '../scenario/schema.js';
import { logNormalSampler, seededRandom } from '../util/random.js';
import { lookAlpha } from './alpha-spending.js';
import { type ArmStepMeasurements, judgeStep } from './judge.js';

/** The rollout every simulation runs: the same shape and settings a real canary would use. */
export const SIM_ROLLOUT = {
  steps: [10, 25, 50, 75, 100],
  stepMs: 30_000,
  maxStepMs: 300_000,
  lookMs: 10_000,
  alpha: 0.01,
  statistics: { minSamples: 200, maxIncrease: 0.05, inconclusive: 'rollback' as const },
  checks: [
    { name: 'p99', metric: 'p99', unit: 'ms', vsBaseline: { ratio: 1.1, slack: 0 }, critical: false, group: 'latency' },
    {
      name: 'errorRate',
      metric: 'errorRate',
      unit: 'fraction',
      vsBaseline: { ratio: 2, slack: 0.001 },
      critical: true,
      group: 'errors',
    },
  ] satisfies Check[],
  passScore: 7,
};

/** Latency distributions the simulation draws from. */
export type SimDistribution = 'lognormal' | 'bimodal' | 'stalls';

/** A latency sampler (ms): heavy-tailed log-normal, bimodal, or log-normal with 1 % stalls. */
export function sampler(name: SimDistribution, random: () => number): () => number {
  if (name === 'lognormal') return logNormalSampler(20, 0.6, random);
  if (name === 'bimodal') {
    const fast = logNormalSampler(10, 0.3, random);
    const slow = logNormalSampler(60, 0.3, random);
    return () => (random() < 0.8 ? fast() : slow());
  }
  const body = logNormalSampler(20, 0.4, random);
  return () => body() + (random() < 0.01 ? 200 * random() : 0);
}

/** A quantile of a distribution, from a large seeded sample (where tail-only shifts start). */
export function quantileOf(name: SimDistribution, q: number): number {
  const draw = sampler(name, seededRandom(12345));
  const xs = Array.from({ length: 200_000 }, draw).sort((a, b) => a - b);
  return xs[Math.floor(q * xs.length)] as number;
}

/** One simulated case. */
export interface SimCase {
  name: string;
  dist: SimDistribution;
  /** Canary values above the distribution's p95 are multiplied by this (tail-only shift). */
  tailFactor: number;
  baseErrorRate: number;
  canaryErrorRate: number;
}

/** How one rollout ended. */
export interface SimOutcome {
  decision: 'promote' | 'rollback';
  /** fail: a check failed; inconclusive: still undecided at the longest step. */
  why: 'pass' | 'fail' | 'inconclusive';
  /** Simulated time until the decision, ms. */
  timeMs: number;
}

interface SimArm extends ArmStepMeasurements {
  latency: Histogram;
}

const newArm = (): SimArm => ({ latency: createHistogram(), requests: 0, errors: 0, throttled: 0, durationMs: 0 });

/** A fixed threshold on point estimates, rolled back after two failed looks (Flagger-style). */
function pointBreach(canary: SimArm, baseline: SimArm): boolean {
  const p99 = (h: Histogram) => h.getValueAtPercentile(99);
  const err = (a: SimArm) => (a.requests === 0 ? 0 : a.errors / a.requests);
  return p99(canary.latency) > 1.1 * p99(baseline.latency) || err(canary) > 2 * err(baseline) + 0.001;
}

/** One five-step rollout at `rate` requests/s, judged by canary-gate or by the fixed threshold. */
export function simulateRollout(
  c: SimCase,
  rate: number,
  seed: number,
  judge: 'canary-gate' | 'threshold',
  tailFrom: number,
): SimOutcome {
  const random = seededRandom(seed);
  const draw = sampler(c.dist, random);
  const canaryDraw = (): number => {
    const v = draw();
    return v > tailFrom ? v * c.tailFactor : v;
  };
  const r = SIM_ROLLOUT;
  let timeMs = 0;
  let lastBaseline: SimArm | undefined;
  let breaches = 0;
  for (const weight of r.steps) {
    const canary = newArm();
    const baseline = newArm();
    let elapsed = 0;
    let spent = 0;
    for (;;) {
      const nc = Math.round((rate * weight * r.lookMs) / 100_000);
      const nb = Math.round((rate * (100 - weight) * r.lookMs) / 100_000);
      for (let i = 0; i < nc; i++) {
        recordMs(canary.latency, canaryDraw());
        if (random() < c.canaryErrorRate) canary.errors++;
      }
      for (let i = 0; i < nb; i++) {
        recordMs(baseline.latency, draw());
        if (random() < c.baseErrorRate) baseline.errors++;
      }
      canary.requests += nc;
      baseline.requests += nb;
      elapsed += r.lookMs;
      timeMs += r.lookMs;
      canary.durationMs = elapsed;
      baseline.durationMs = elapsed;
      const reference = baseline.requests >= r.statistics.minSamples ? baseline : lastBaseline;
      if (judge === 'threshold') {
        if (reference && canary.requests > 0 && pointBreach(canary, reference) && ++breaches >= 2) {
          return { decision: 'rollback', why: 'fail', timeMs };
        }
        if (elapsed >= r.stepMs) break;
        continue;
      }
      const fraction = elapsed / r.maxStepMs;
      const alpha = lookAlpha(r.alpha / r.steps.length, spent, fraction);
      spent = fraction;
      const verdict = judgeStep({
        canary,
        ...(reference ? { baseline: reference } : {}),
        checks: r.checks,
        statistics: r.statistics,
        weights: {},
        passScore: r.passScore,
        alpha,
        mayPass: elapsed >= r.stepMs,
        finalLook: elapsed >= r.maxStepMs,
      });
      if (verdict.decision === 'rollback') {
        return {
          decision: 'rollback',
          why: verdict.checks.some((x) => x.status === 'fail') ? 'fail' : 'inconclusive',
          timeMs,
        };
      }
      if (verdict.decision === 'continue') break;
    }
    if (baseline.requests >= r.statistics.minSamples) lastBaseline = baseline;
  }
  return { decision: 'promote', why: 'pass', timeMs };
}

/** Rates over many rollouts of one case. */
export interface SimSummary {
  /** Share of rollouts rolled back (for a regression: detected). */
  rollbackRate: number;
  /** Share rolled back because a check failed (not for being undecided). */
  failRate: number;
  /** Mean simulated time to the decision, s. */
  meanDecisionSec: number;
}

/** Run `runs` rollouts of a case at a rate with one judge. */
export function simulate(
  c: SimCase,
  rate: number,
  runs: number,
  judge: 'canary-gate' | 'threshold',
  tailFrom: number,
): SimSummary {
  let rollbacks = 0;
  let failures = 0;
  let time = 0;
  for (let run = 0; run < runs; run++) {
    const outcome = simulateRollout(c, rate, 1000 + run * 7919 + rate, judge, tailFrom);
    if (outcome.decision === 'rollback') rollbacks++;
    if (outcome.why === 'fail') failures++;
    time += outcome.timeMs;
  }
  return { rollbackRate: rollbacks / runs, failRate: failures / runs, meanDecisionSec: time / runs / 1000 };
}

/** The cases of docs/judge.md. */
export function simCases(): SimCase[] {
  const out: SimCase[] = [];
  for (const dist of ['lognormal', 'bimodal', 'stalls'] as const) {
    out.push({ name: `A/A ${dist}`, dist, tailFactor: 1, baseErrorRate: 0.001, canaryErrorRate: 0.001 });
  }
  for (const shift of [5, 10, 20, 50]) {
    out.push({
      name: `p99 +${shift}% (tail only)`,
      dist: 'lognormal',
      tailFactor: 1 + shift / 100,
      baseErrorRate: 0.001,
      canaryErrorRate: 0.001,
    });
  }
  out.push({ name: 'errors +0.5%', dist: 'lognormal', tailFactor: 1, baseErrorRate: 0.001, canaryErrorRate: 0.006 });
  return out;
}
