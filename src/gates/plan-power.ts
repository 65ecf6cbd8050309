/**
 * Plan-time power: before anything is sent, what each step can tell. Per step and check, the
 * samples the step plans (rate × weight × stepDuration) and its resolution — the smallest change
 * it tells from none at the scenario's alpha and beta: (z_α + z_β) standard errors of the
 * check's statistic, at the planned end of the step. A check whose resolution is within its
 * margin passes an identical canary with probability ≥ 1 − α and fails a canary regressed by
 * twice the margin with probability ≥ 1 − β; otherwise the plan says how many canary samples
 * would make it so. Before a run the latency distribution is unknown, so a shape is assumed
 * (log-normal, σ 0.6 unless told) and requests are taken as independent unless a design effect
 * is given; the figures are a plan, the judge's intervals at run time are the truth. Pure.
 */
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
  /** How `resolution` and `margin` read: a relative change (0.38 = +38 %) or an error share. */
  scale: 'relative' | 'fraction';
  /** The smallest change the step tells from none at alpha and beta; null where none applies. */
  resolution: number | null;
  /** The margin the check must resolve (0.1 for × 1.1); null when the plan cannot know it. */
  margin: number | null;
  /** Canary samples at which the resolution reaches the margin; null when unknown or out of reach. */
  samplesForMargin: number | null;
  /** The resolution is within the margin. */
  enough: boolean;
  /** "p99 detects ≥ +38 % (margin +10 %): for +10 % about 18 000 canary samples". */
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

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Number((Math.abs(x) * 100).toPrecision(2))} %`;

/**
 * Canary samples n at which z·√(kc/n + kb/nb(n)) reaches `target`, where the baseline grows with
 * the canary (nb = n·perCanary) or is fixed (a pooled baseline). Null when out of reach.
 */
function samplesFor(
  kc: number,
  kb: number,
  z: number,
  target: number,
  perCanary: number | null,
  fixedBaseline: number,
): number | null {
  if (!(target > 0)) return null;
  const budget = (target / z) ** 2;
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
  const b = spentBy(input.beta, 1, tMax);
  const z = normalQuantile(1 - aCmp) + normalQuantile(1 - b);
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
    const checks = input.checks.map((c) => checkPower(c, nc, nb, perCanary, z, sigma, p0, deff));
    const against = live
      ? ''
      : nb > 0
        ? ` against the pooled baseline of ${stepList(pooledSteps)}`
        : ' (no baseline to compare with)';
    const extended = most.canary > plan.canary ? ` (up to ${formatCount(most.canary)} with extensions)` : '';
    const lines = checks.map((c) => c.sentence);
    out.push({
      step: index + 1,
      weight,
      canarySamples: plan.canary,
      baselineSamples: live ? plan.baseline : pooled,
      maxCanarySamples: most.canary,
      checks,
      sentence: `step ${index + 1} (${weight} %): ${formatCount(plan.canary)} canary samples in ${duration(input.stepDurationMs)}${extended}${against}${lines.length > 0 ? `; ${lines.join('; ')}` : ''}`,
    });
    if (live) {
      pooled += plan.baseline;
      pooledSteps.push(index + 1);
    }
  });
  return out;
}

function checkPower(
  c: Check,
  nc: number,
  nb: number,
  perCanary: number | null,
  z: number,
  sigma: number,
  p0: number,
  deff: number,
): CheckPower {
  const none = (why: string): CheckPower => ({
    check: c.name,
    metric: c.metric,
    scale: 'relative',
    resolution: null,
    margin: null,
    samplesForMargin: null,
    enough: false,
    sentence: `${c.name}: ${why}`,
  });
  if (nc <= 0) return none('no canary samples');
  const limit = c.vsBaseline ?? c.vsStored;
  const relative = limit !== undefined && nb > 0;
  if (c.metric === 'max') return none('the maximum has no interval: no power figure');
  if (c.metric === 'throughput') return none('judged on the request count at the end of the step');
  if (c.metric === 'errorRate') return errorPower(c, nc, nb, perCanary, z, p0, deff, relative);
  // Variance of the log statistic per sample (kc, kb), so that se² = kc / nc + kb / nb.
  let k: number;
  let toChange = (d: number) => Math.exp(d) - 1;
  let fromChange = (m: number) => Math.log(1 + m);
  if (c.metric === 'mean') k = Math.exp(sigma * sigma) - 1;
  else if (c.metric === 'distribution') {
    // θ's variance is 1/12 per sample; a log shift d moves θ by Φ(d / σ√2) − ½.
    k = 1 / 12;
    toChange = (d: number) => Math.exp(sigma * Math.SQRT2 * normalQuantile(Math.min(0.999999, 0.5 + d))) - 1;
    fromChange = (m: number) => normalCdf(Math.log(1 + m) / (sigma * Math.SQRT2)) - 0.5;
  } else {
    const q = QUANTILE[c.metric] ?? 0.5;
    k = (sigma * sigma * q * (1 - q)) / phi(normalQuantile(q)) ** 2;
  }
  const se = Math.sqrt(k / nc + (relative ? k / nb : 0));
  const resolution = toChange(z * se);
  const margin = relative && limit && limit.ratio > 1 ? limit.ratio - 1 : null;
  if (margin === null) {
    const what = relative ? 'its margin is an absolute slack: the plan cannot weigh it' : 'an absolute bound: resolves';
    return {
      check: c.name,
      metric: c.metric,
      scale: 'relative',
      resolution,
      margin: null,
      samplesForMargin: null,
      enough: false,
      sentence: `${c.name} ${relative ? `detects ≥ ${pct(resolution)} (${what})` : `${what} ±${pct(resolution).slice(1)}`}`,
    };
  }
  const enough = resolution <= margin;
  const need = samplesFor(k, relative ? k : 0, z, fromChange(margin), perCanary, nb);
  const needText = need === null ? 'out of reach at this weight' : `about ${about(need * deff)} canary samples`;
  return {
    check: c.name,
    metric: c.metric,
    scale: 'relative',
    resolution,
    margin,
    samplesForMargin: need === null ? null : Math.ceil(need * deff),
    enough,
    sentence: `${c.name} detects ≥ ${pct(resolution)} (margin ${pct(margin)})${enough ? '' : `: for ${pct(margin)} ${needText}: raise the rate or the step duration`}`,
  };
}

function errorPower(
  c: Check,
  nc: number,
  nb: number,
  perCanary: number | null,
  z: number,
  p0: number,
  deff: number,
  relative: boolean,
): CheckPower {
  const limit = c.vsBaseline ?? c.vsStored;
  let kc: number;
  let kb = 0;
  let margin: number;
  if (relative && limit) {
    const pm = Math.min(1, limit.ratio * p0 + limit.slack);
    kc = pm * (1 - pm);
    kb = limit.ratio * limit.ratio * p0 * (1 - p0);
    margin = pm - p0;
  } else {
    const cap = c.max ?? 0;
    kc = cap * (1 - cap);
    margin = cap - p0;
  }
  const resolution = z * Math.sqrt(kc / nc + (kb > 0 ? kb / nb : 0));
  const enough = margin > 0 && resolution <= margin;
  const need = samplesFor(kc, kb, z, margin, perCanary, nb);
  const share = (x: number) => formatValue('fraction', x);
  return {
    check: c.name,
    metric: c.metric,
    scale: 'fraction',
    resolution,
    margin: margin > 0 ? margin : null,
    samplesForMargin: need === null ? null : Math.ceil(need * deff),
    enough,
    sentence: `${c.name} detects ≥ +${share(resolution)} errors (margin +${share(Math.max(margin, 0))} over an assumed ${share(p0)})${enough ? '' : need === null ? ': out of reach' : `: for +${share(margin)} about ${about(need * deff)} canary samples: raise the rate or the step duration`}`,
  };
}
