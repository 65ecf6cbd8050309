/**
 * Plan-time power: before anything is sent, what each step can tell. Per step and check, from the
 * samples the step plans (rate × weight × stepDuration) and the levels of the look at its planned
 * end: the smallest regression it rolls back on evidence with probability ≥ 1 − β (the margin
 * plus (z_α + z_β) standard errors), and the probability that an identical canary passes; the
 * step is long enough for a check when that is at least 1 − β, and otherwise the plan says how
 * many canary samples would make it so. Before a run the latency distribution is unknown, so a
 * shape is assumed (log-normal, σ 0.6 unless told) and requests are taken as independent unless
 * a design effect is given; the figures are a plan, the judge's intervals at run time the truth. Pure. */
import type { Check } from '../scenario/schema.js';
import { formatCount, formatValue } from './format.js';
import { comparisonCount, stepList } from './judge.js';
import { QUANTILE } from './limits/latency.js';
import { plannedStepSamples, spentBy, stepAlpha } from './spending.js';
import { normalCdf, normalQuantile } from './stats/normal.js';

/** What the plan assumes and is given. */
export interface PowerPlanInput {
  /** Requests per second over both arms. */
  ratePerSec: number;
  /** Canary weight of each step, %. */
  steps: readonly number[];
  stepDurationMs: number;
  /** Longest a step may be extended to (default: stepDuration). */
  maxStepDurationMs?: number;
  checks: readonly Check[];
  /** statistics.alpha: false-rollback budget of the run. */
  alpha: number;
  /** statistics.beta: false-promotion budget per check. */
  beta: number;
  /** σ of the log-normal latency assumed (default 0.6, a typical web tail: p99 ≈ 4 × median). */
  sigma?: number;
  /** Baseline error rate assumed for error-rate checks (default 0.1 %). */
  errorRate?: number;
  /** How much bursts reduce information (1: independent requests). */
  designEffect?: number;
}

/** One check's power at one step. */
export interface CheckPower {
  check: string;
  metric: Check['metric'];
  /** How `catches`, `resolution` and `margin` read: a relative change (0.38 = +38 %) or an error share. */
  scale: 'relative' | 'fraction';
  /** The margin the check holds the canary to (0.1 for × 1.1); null when the plan cannot know it. */
  margin: number | null;
  /**
   * The smallest change the step tells from none at alpha and beta: (z_α + z_β) standard errors
   * (for an error share, the distance in share); null where no figure applies.
   */
  resolution: number | null;
  /** The smallest regression rolled back on evidence with probability ≥ 1 − beta at the planned end. */
  catches: number | null;
  /** Probability that an identical canary passes the check at the planned end. */
  passesIdentical: number | null;
  /** Canary samples at which an identical canary passes with probability 1 − beta. */
  samplesToPass: number | null;
  /** An identical canary passes with probability ≥ 1 − beta; null when the plan cannot tell. */
  enough: boolean | null;
  /** "p99 catches ≥ +24 % (margin +10 %); an identical canary passes 99 % of the time". */
  sentence: string;
}

/** One step's plan. */
export interface StepPower {
  /** 1-based. */
  step: number;
  weight: number;
  canarySamples: number;
  /** Baseline samples the step is judged against (pooled over earlier steps at 100 %). */
  baselineSamples: number;
  /** Canary samples with every extension up to maxStepDuration. */
  maxCanarySamples: number;
  checks: CheckPower[];
  /** The step's line for validate and run. */
  sentence: string;
}

/** Defaults the plan assumes when the scenario says nothing. */
export const PLAN_DEFAULTS = { sigma: 0.6, errorRate: 0.001, designEffect: 1 } as const;

const phi = (z: number) => Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);

/** "30 s", "2 m", "1.5 h". */
function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Number(s.toPrecision(3))} s`;
  if (s < 7200) return `${Number((s / 60).toPrecision(3))} m`;
  return `${Number((s / 3600).toPrecision(3))} h`;
}

/** A plan's figure: 2 significant digits (12 555 → 13 000), as precise as its assumptions. */
const about = (n: number) => formatCount(Number(n.toPrecision(2)));

/** "+24 %", "−5 %". */
const signedPct = (x: number) => `${x >= 0 ? '+' : '−'}${Number((Math.abs(x) * 100).toPrecision(2))} %`;

/** "99 %", "40 %": a probability or a share, 2 significant digits (never rounded up to 100 %). */
const pctOf = (x: number) => `${Math.min(Number((x * 100).toPrecision(2)), x < 1 ? 99.9 : 100)} %`;

/**
 * Canary samples n at which the standard error √(kc/n + kb/nb) comes down to `se`, the baseline
 * growing with the canary (nb = n·perCanary) or fixed (a pooled baseline). Null when out of reach.
 */
function samplesFor(
  kc: number,
  kb: number,
  se: number,
  perCanary: number | null,
  fixedBaseline: number,
): number | null {
  if (!(se > 0)) return null;
  const budget = se * se;
  if (perCanary !== null) return Math.ceil((kc + kb / perCanary) / budget);
  const left = budget - kb / Math.max(1, fixedBaseline);
  return left > 0 ? Math.ceil(kc / left) : null;
}

/** The plan's power for every step and check. */
export function planPower(input: PowerPlanInput): StepPower[] {
  const sigma = input.sigma ?? PLAN_DEFAULTS.sigma;
  const p0 = input.errorRate ?? PLAN_DEFAULTS.errorRate;
  const deff = Math.max(1, input.designEffect ?? PLAN_DEFAULTS.designEffect);
  const maxMs = Math.max(input.maxStepDurationMs ?? input.stepDurationMs, input.stepDurationMs);
  const tMax = maxMs / input.stepDurationMs;
  // The look at the planned end: what alpha (per comparison) and beta (per check) are spent by then.
  const aCmp = spentBy(stepAlpha(input.alpha, input.steps.length), 1, tMax) / comparisonCount(input.checks);
  const levels = { zAlpha: normalQuantile(1 - aCmp), zBeta: normalQuantile(1 - spentBy(input.beta, 1, tMax)) };
  const out: StepPower[] = [];
  let pooled = 0;
  const pooledSteps: number[] = [];
  input.steps.forEach((weight, index) => {
    const plan = plannedStepSamples(input.ratePerSec, weight, input.stepDurationMs);
    const most = plannedStepSamples(input.ratePerSec, weight, maxMs);
    const live = plan.baseline > 0;
    const nc = plan.canary / deff;
    const nb = (live ? plan.baseline : pooled) / deff;
    const perCanary = live ? plan.baseline / Math.max(1, plan.canary) : null;
    const checks = input.checks.map((c) => checkPower(c, { nc, nb, perCanary, deff }, levels, sigma, p0));
    const against = live
      ? ''
      : nb > 0
        ? ` against the pooled baseline of ${stepList(pooledSteps)} (measured earlier: compared across time, its samples fixed)`
        : ' (no baseline to compare with)';
    const extended = most.canary > plan.canary ? ` (up to ${formatCount(most.canary)} with extensions)` : '';
    const bursts = deff > 1 ? ` (bursts assumed: ${formatCount(Math.round(plan.canary / deff))} independent)` : '';
    const lines = checks.map((c) => c.sentence);
    out.push({
      step: index + 1,
      weight,
      canarySamples: plan.canary,
      baselineSamples: live ? plan.baseline : pooled,
      maxCanarySamples: most.canary,
      checks,
      sentence: `step ${index + 1} (${weight} %): ${formatCount(plan.canary)} canary samples in ${duration(input.stepDurationMs)}${bursts}${extended}${against}${lines.length > 0 ? `; ${lines.join('; ')}` : ''}`,
    });
    if (live) {
      pooled += plan.baseline;
      pooledSteps.push(index + 1);
    }
  });
  return out;
}

/** The samples a check is judged on (effective: divided by the design effect). */
interface Samples {
  nc: number;
  nb: number;
  /** Baseline samples per canary sample while the baseline is live; null for a pooled baseline. */
  perCanary: number | null;
  deff: number;
}

/** z of the look at the planned end: the per-comparison alpha and the per-check beta. */
interface Levels {
  zAlpha: number;
  zBeta: number;
}

/**
 * A check whose statistic is a distance from its margin with standard error √(kc/nc + kb/nb):
 * `identical` is the distance of an identical canary (below 0), `toCatch` turns the distance the
 * step resolves past the margin into the regression it catches.
 */
function fromDistance(
  c: Check,
  scale: CheckPower['scale'],
  n: Samples,
  z: Levels,
  k: { kc: number; kb: number; identical: number; margin: number },
  toCatch: (past: number) => number,
  show: (x: number) => string,
): CheckPower {
  const se = Math.sqrt(k.kc / n.nc + (k.kb > 0 ? k.kb / n.nb : 0));
  const resolution = (z.zAlpha + z.zBeta) * se;
  const passesIdentical = normalCdf(-k.identical / se - z.zBeta);
  const enough = passesIdentical >= normalCdf(z.zBeta) - 1e-12;
  // An identical canary passes with probability 1 − β once |identical| / se = 2 z_β.
  const need = samplesFor(k.kc, k.kb, -k.identical / (2 * z.zBeta), n.perCanary, n.nb);
  const catches = toCatch(resolution);
  const head = `${c.name} catches ≥ ${show(catches)} (margin ${show(k.margin)}); an identical canary passes ${pctOf(passesIdentical)} of the time`;
  const advice =
    need === null
      ? ': out of reach at this weight'
      : `: for ${pctOf(normalCdf(z.zBeta))} about ${about(need * n.deff)} canary samples: raise the rate or the step duration`;
  return {
    check: c.name,
    metric: c.metric,
    scale,
    margin: k.margin,
    resolution,
    catches,
    passesIdentical,
    samplesToPass: need === null ? null : Math.ceil(need * n.deff),
    enough,
    sentence: enough ? head : head + advice,
  };
}

function checkPower(c: Check, n: Samples, z: Levels, sigma: number, p0: number): CheckPower {
  const none = (why: string, resolution: number | null = null): CheckPower => ({
    check: c.name,
    metric: c.metric,
    scale: 'relative',
    margin: null,
    resolution,
    catches: null,
    passesIdentical: null,
    samplesToPass: null,
    enough: null,
    sentence: `${c.name}: ${why}`,
  });
  if (n.nc <= 0) return none('no canary samples');
  if (c.metric === 'max') return none('the maximum has no interval: no power figure');
  if (c.metric === 'throughput') return none('judged on the request count at the end of the step');
  const limit = c.vsBaseline ?? c.vsStored;
  const relative = limit !== undefined && n.nb > 0;
  if (c.metric === 'errorRate') return errorPower(c, n, z, p0, relative);
  // Per-sample variance of the statistic (log scale; θ's for the distribution).
  const k =
    c.metric === 'mean'
      ? Math.exp(sigma * sigma) - 1
      : c.metric === 'distribution'
        ? 1 / 12
        : (() => {
            const q = QUANTILE[c.metric] ?? 0.5;
            return (sigma * sigma * q * (1 - q)) / phi(normalQuantile(q)) ** 2;
          })();
  if (!relative || !limit || !(limit.ratio > 1)) {
    const se = Math.sqrt(k / n.nc + (relative ? k / n.nb : 0));
    const resolution = Math.exp((z.zAlpha + z.zBeta) * se) - 1;
    return none(
      relative
        ? `its margin is an absolute slack, which the plan cannot weigh; the step resolves ±${pctOf(resolution)}`
        : `an absolute bound, which the plan cannot place; the step resolves ±${pctOf(resolution)}`,
      resolution,
    );
  }
  const lnMargin = Math.log(limit.ratio);
  if (c.metric === 'distribution') {
    // θ = P(canary ÷ ratio > baseline) for a log shift d of a log-normal: Φ((d − ln ratio) / σ√2).
    const spread = sigma * Math.SQRT2;
    return fromDistance(
      c,
      'relative',
      n,
      z,
      { kc: k, kb: k, identical: normalCdf(-lnMargin / spread) - 0.5, margin: limit.ratio - 1 },
      (past) => Math.exp(lnMargin + spread * normalQuantile(Math.min(1 - 1e-12, 0.5 + past))) - 1,
      signedPct,
    );
  }
  return fromDistance(
    c,
    'relative',
    n,
    z,
    { kc: k, kb: k, identical: -lnMargin, margin: limit.ratio - 1 },
    (past) => limit.ratio * Math.exp(past) - 1,
    signedPct,
  );
}

function errorPower(c: Check, n: Samples, z: Levels, p0: number, relative: boolean): CheckPower {
  const limit = c.vsBaseline ?? c.vsStored;
  const share = (x: number) => formatValue('fraction', x);
  // The variance is taken at the margin, where the tests take it.
  if (relative && limit) {
    const pm = Math.min(1, limit.ratio * p0 + limit.slack);
    return fromDistance(
      c,
      'fraction',
      n,
      z,
      {
        kc: pm * (1 - pm),
        kb: limit.ratio * limit.ratio * p0 * (1 - p0),
        identical: p0 - pm,
        margin: pm,
      },
      (past) => pm + past,
      share,
    );
  }
  const cap = c.max ?? 0;
  if (!(cap > p0))
    return { ...errorNone(c), sentence: `${c.name}: the cap ${share(cap)} is not above the assumed ${share(p0)}` };
  return fromDistance(
    c,
    'fraction',
    n,
    z,
    { kc: cap * (1 - cap), kb: 0, identical: p0 - cap, margin: cap },
    (past) => cap + past,
    share,
  );
}

function errorNone(c: Check): CheckPower {
  return {
    check: c.name,
    metric: c.metric,
    scale: 'fraction',
    margin: null,
    resolution: null,
    catches: null,
    passesIdentical: null,
    samplesToPass: null,
    enough: null,
    sentence: '',
  };
}
