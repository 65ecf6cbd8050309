/**
 * The judge: per-arm histograms and counters in, a StepVerdict out. Pure.
 *
 * Quantile checks use distribution-free intervals (order statistics read off the histogram) and
 * fail only when the interval clears the margin; distribution checks use Mann-Whitney U and fail
 * only when the effect (ratio of medians) also exceeds the allowed increase; error-rate checks
 * use Fisher's exact or the two-proportion test, again with the effect beyond the margin. Too few
 * samples is inconclusive, never a pass. Each look gets a share of the false-rollback budget
 * (alpha spending, decided by the driver) split evenly over the statistical comparisons.
 */
import type { Histogram } from '../hdr/histogram.js';
import type { Check } from '../scenario/schema.js';
import { type Scorecard, scoreChecks } from './score.js';
import { binomialCdf } from './stats/binomial.js';
import { mannWhitney } from './stats/mann-whitney.js';
import { normalQuantile } from './stats/normal.js';
import { errorShareGreater } from './stats/proportions.js';
import { quantileInterval, samplesToBound } from './stats/quantile-interval.js';
import type { CheckResult, CheckStatus, Interval, StepVerdict } from './verdict.js';

/** One arm's measurements of a step. */
export interface ArmStepMeasurements {
  /** Latency from the intended send, µs. */
  latency: Histogram;
  /** Finished requests. */
  requests: number;
  /** Errors among them, 429s included. */
  errors: number;
  /** 429 responses (reported apart: throttling is not the canary failing). */
  throttled: number;
  /** Measured time, ms (for throughput). */
  durationMs: number;
}

/** A value from outside the load (a PromQL query, an alert count) with its bounds. */
export interface ExternalCheck {
  /** Name in reports. */
  name: string;
  /** The canary's value, or null when the source gave none. */
  value: number | null;
  /** Why there is no value (or no baseline value): "Prometheus timed out after 5000 ms". */
  problem?: string;
  /** Absolute upper bound. */
  max?: number;
  /** Absolute lower bound. */
  min?: number;
  /** canary ≤ baseline × ratio + slack; `baseline` null when the source gave none for that arm. */
  vsBaseline?: { ratio: number; slack: number; baseline: number | null };
  /** A failure rolls back at once. */
  critical: boolean;
  /** What a missing value means: an error (fail closed, rolls back at once) or inconclusive. */
  onUnavailable: 'error' | 'inconclusive';
  /** Weight group; default "external". */
  group?: string;
  /** Said after the verdict, e.g. the names of firing alerts. */
  detail?: string;
}

/** The judge's input for one look at a step. */
export interface JudgeInput {
  canary: ArmStepMeasurements;
  /** The live baseline arm. */
  baseline?: ArmStepMeasurements;
  /** The stored baseline, for vsStored limits. */
  stored?: ArmStepMeasurements;
  checks: readonly Check[];
  /** External values checked at this look (Prometheus queries, Alertmanager). */
  external?: readonly ExternalCheck[];
  /** Checks decided outside the load (the security probes' findings): scored and acted on like the judge's own. */
  decided?: readonly CheckResult[];
  statistics: { minSamples: number; maxIncrease: number; inconclusive: 'rollback' | 'continue' };
  weights: Readonly<Record<string, number>>;
  passScore: number;
  /** False-rollback budget of this look, for all statistical comparisons together. */
  alpha: number;
  /** The step has run its planned duration, so checks may pass (earlier looks can only fail). */
  mayPass: boolean;
  /** The step cannot be extended further. */
  finalLook: boolean;
}

const QUANTILE: Record<string, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, p999: 0.999 };

/** Confidence used to decide whether n can resolve a quantile at all. */
const RESOLVABLE_AT = 0.95;

interface LimitOutcome {
  status: CheckStatus;
  threshold: number | null;
  interval: Interval | null;
  needSamples?: number;
  sentence: string;
  statistical: boolean;
}

const fmt = (unit: Check['unit'], v: number | null | undefined): string => {
  if (v === null || v === undefined || Number.isNaN(v)) return '?';
  if (unit === 'ms') return `${Number(v.toFixed(2))} ms`;
  if (unit === 'fraction') return `${Number((v * 100).toFixed(3))}%`;
  return `${Number(v.toFixed(1))}/s`;
};
const fmtInterval = (unit: Check['unit'], i: Interval | null): string =>
  i === null ? '' : ` [${fmt(unit, i[0])}, ${fmt(unit, i[1])}]`;

/** How many statistical comparisons the checks make (the look's alpha is split over them). */
export function comparisonCount(checks: readonly Check[]): number {
  let n = 0;
  for (const c of checks) {
    if (c.metric === 'throughput' || c.metric === 'max') continue;
    if (c.max !== undefined) n++;
    if (c.vsBaseline) n++;
    if (c.vsStored) n++;
  }
  return Math.max(1, n);
}

/** A latency statistic of an arm with its interval at one-sided level a (ms). */
function latencyStat(
  check: Check,
  arm: ArmStepMeasurements,
  a: number,
): { value: number; interval: Interval; resolvable: number } {
  const h = arm.latency;
  if (check.metric === 'max') return { value: h.maxValue / 1000, interval: [null, null], resolvable: 1 };
  if (check.metric === 'mean') {
    const n = h.totalCount;
    const half = n > 1 ? (normalQuantile(1 - a) * h.stdDeviation) / Math.sqrt(n) / 1000 : Number.NaN;
    const mean = h.mean / 1000;
    return { value: mean, interval: Number.isNaN(half) ? [null, null] : [mean - half, mean + half], resolvable: 30 };
  }
  const q = QUANTILE[check.metric] ?? 0.5;
  const qi = quantileInterval(h, q, 1 - 2 * a);
  return {
    value: qi.estimate,
    interval: [qi.lower ?? null, qi.upper ?? null],
    resolvable: samplesToBound(q, RESOLVABLE_AT),
  };
}

/** Samples needed to bring an interval's half-width down to `distance`, scaling as 1/√n. */
function samplesFor(n: number, halfWidth: number, distance: number): number | undefined {
  if (!(halfWidth > 0) || !(distance > 0)) return undefined;
  return Math.ceil(n * (halfWidth / distance) ** 2);
}

function latencyAbsolute(check: Check, input: JudgeInput, a: number, max: number): LimitOutcome {
  const c = latencyStat(check, input.canary, a);
  // Latency samples, not requests: transport errors never reach the histogram.
  const n = input.canary.latency.totalCount;
  const need = Math.max(input.statistics.minSamples, c.resolvable);
  const lower = c.interval[0];
  const base = { threshold: max, interval: c.interval, statistical: check.metric !== 'max' };
  const what = `canary ${check.metric} ${fmt('ms', c.value)}${fmtInterval('ms', check.metric === 'max' ? null : c.interval)}`;
  if ((check.metric === 'max' && c.value > max) || (lower !== null && lower > max)) {
    return { ...base, status: 'fail', sentence: `${what} exceeds ${fmt('ms', max)}` };
  }
  if (input.mayPass && n >= need && c.value <= max)
    return { ...base, status: 'pass', sentence: `${what} is within ${fmt('ms', max)}` };
  const needSamples = Math.max(
    need,
    c.value > max && lower !== null ? (samplesFor(n, c.value - lower, c.value - max) ?? need) : need,
  );
  return {
    ...base,
    status: 'inconclusive',
    needSamples,
    sentence: `${what} against ${fmt('ms', max)}: not decided on ${n} samples (about ${needSamples} needed)`,
  };
}

function latencyRelative(
  check: Check,
  input: JudgeInput,
  a: number,
  ref: ArmStepMeasurements,
  label: 'baseline' | 'stored baseline',
  limit: { ratio: number; slack: number },
): LimitOutcome {
  // Each side gets half the comparison's level, so a false "clears the margin" has probability ≤ a.
  const c = latencyStat(check, input.canary, a / 2);
  const r = latencyStat(check, ref, a / 2);
  const margin = (v: number) => v * limit.ratio + limit.slack;
  const n = input.canary.latency.totalCount;
  const need = Math.max(input.statistics.minSamples, c.resolvable);
  const refUpper = check.metric === 'max' ? r.value : r.interval[1];
  const canaryLower = check.metric === 'max' ? c.value : c.interval[0];
  const sentence = (verb: string) =>
    `canary ${check.metric} ${fmt('ms', c.value)}${fmtInterval('ms', check.metric === 'max' ? null : c.interval)} ${verb} ${label} ${check.metric} ${fmt('ms', r.value)}${fmtInterval('ms', check.metric === 'max' ? null : r.interval)} × ${limit.ratio} + ${fmt('ms', limit.slack)}`;
  const base = { threshold: margin(r.value), interval: c.interval, statistical: check.metric !== 'max' };
  if (canaryLower !== null && refUpper !== null && canaryLower > margin(refUpper)) {
    return { ...base, threshold: margin(refUpper), status: 'fail', sentence: sentence('exceeds') };
  }
  const enough = n >= need && ref.latency.totalCount >= need;
  if (input.mayPass && enough && c.value <= margin(r.value))
    return { ...base, status: 'pass', sentence: sentence('is within') };
  const needSamples =
    c.value > margin(r.value) && canaryLower !== null && refUpper !== null
      ? Math.max(need, samplesFor(n, c.value - canaryLower, c.value - margin(r.value)) ?? need)
      : need;
  return {
    ...base,
    status: 'inconclusive',
    needSamples,
    sentence: `${sentence('against')}: not decided on ${n} samples (about ${needSamples} needed)`,
  };
}

const errorShare = (arm: ArmStepMeasurements) => (arm.requests === 0 ? 0 : (arm.errors - arm.throttled) / arm.requests);

function errorAbsolute(input: JudgeInput, a: number, max: number): LimitOutcome {
  const n = input.canary.requests;
  const e = input.canary.errors - input.canary.throttled;
  const p = errorShare(input.canary);
  // Exact binomial test: P(X ≥ e | rate = max) < a means the rate is above max.
  const pValue = e === 0 ? 1 : 1 - binomialCdf(e - 1, n, max);
  const base = { threshold: max, interval: null, statistical: true };
  const what = `canary error rate ${fmt('fraction', p)} (${e}/${n}${input.canary.throttled > 0 ? `, plus ${input.canary.throttled} throttled 429s` : ''})`;
  if (pValue < a)
    return {
      ...base,
      status: 'fail',
      sentence: `${what} exceeds ${fmt('fraction', max)} (p = ${pValue.toPrecision(2)})`,
    };
  if (input.mayPass && n >= input.statistics.minSamples && p <= max) {
    return { ...base, status: 'pass', sentence: `${what} is within ${fmt('fraction', max)}` };
  }
  return {
    ...base,
    status: 'inconclusive',
    needSamples: input.statistics.minSamples,
    sentence: `${what} against ${fmt('fraction', max)}: not decided yet`,
  };
}

function errorRelative(
  input: JudgeInput,
  a: number,
  ref: ArmStepMeasurements,
  label: string,
  limit: { ratio: number; slack: number },
): LimitOutcome {
  const pc = errorShare(input.canary);
  const pr = errorShare(ref);
  const bound = pr * limit.ratio + limit.slack;
  const test = errorShareGreater(
    input.canary.errors - input.canary.throttled,
    input.canary.requests,
    ref.errors - ref.throttled,
    ref.requests,
  );
  const base = { threshold: bound, interval: null, statistical: true };
  const sentence = (verb: string) =>
    `canary error rate ${fmt('fraction', pc)} ${verb} ${label} ${fmt('fraction', pr)} × ${limit.ratio} + ${fmt('fraction', limit.slack)} (${test.method === 'fisher' ? "Fisher's exact" : 'two-proportion'} p = ${test.p.toPrecision(2)})`;
  // Significance alone never fails: the effect must be past the margin too.
  if (pc > bound && test.p < a) return { ...base, status: 'fail', sentence: sentence('exceeds') };
  const enough = input.canary.requests >= input.statistics.minSamples && ref.requests >= input.statistics.minSamples;
  if (input.mayPass && enough && (pc <= bound || test.p >= 0.5))
    return { ...base, status: 'pass', sentence: sentence('is within') };
  return {
    ...base,
    status: 'inconclusive',
    needSamples: input.statistics.minSamples,
    sentence: `${sentence('against')}: not decided yet`,
  };
}

function distributionRelative(
  input: JudgeInput,
  a: number,
  ref: ArmStepMeasurements,
  label: string,
  ratio: number,
): LimitOutcome {
  const mw = mannWhitney(input.canary.latency, ref.latency);
  const mc = input.canary.latency.getValueAtPercentile(50) / 1000;
  const mr = ref.latency.getValueAtPercentile(50) / 1000;
  const effect = mr > 0 ? mc / mr : 1;
  const base = { threshold: ratio, interval: null, statistical: true };
  const sentence = (verb: string) =>
    `canary median ${fmt('ms', mc)} is ${effect.toFixed(3)} × the ${label} median ${fmt('ms', mr)} (allowed ${ratio}); Mann-Whitney p = ${mw.pGreater.toPrecision(2)}, P(canary slower) = ${mw.commonLanguageEffect.toFixed(3)}${verb}`;
  if (mw.pGreater < a && effect > ratio) return { ...base, status: 'fail', sentence: sentence(': a regression') };
  const enough = mw.n1 >= input.statistics.minSamples && mw.n2 >= input.statistics.minSamples;
  // An effect past the ratio without significance is undecided, not a pass.
  if (input.mayPass && enough && effect <= ratio) return { ...base, status: 'pass', sentence: sentence('') };
  return {
    ...base,
    status: 'inconclusive',
    needSamples: input.statistics.minSamples,
    sentence: sentence(': not decided yet'),
  };
}

function throughputAbsolute(check: Check, input: JudgeInput, min: number): LimitOutcome {
  const observed = input.canary.durationMs === 0 ? 0 : input.canary.requests / (input.canary.durationMs / 1000);
  const base = { threshold: min, interval: null, statistical: false };
  const what = `canary throughput ${fmt(check.unit, observed)}`;
  if (!input.mayPass) return { ...base, status: 'inconclusive', sentence: `${what}; judged at the end of the step` };
  return observed >= min
    ? { ...base, status: 'pass', sentence: `${what} meets ${fmt(check.unit, min)}` }
    : { ...base, status: 'fail', sentence: `${what} is under ${fmt(check.unit, min)}` };
}

function observedOf(check: Check, arm: ArmStepMeasurements): number {
  if (check.metric === 'errorRate') return errorShare(arm);
  if (check.metric === 'throughput') return arm.durationMs === 0 ? 0 : arm.requests / (arm.durationMs / 1000);
  if (check.metric === 'distribution') return arm.latency.getValueAtPercentile(50) / 1000;
  return latencyStat(check, arm, 0.05).value;
}

function judgeCheck(check: Check, input: JudgeInput, a: number): CheckResult {
  const samples: Record<string, number> = { canary: input.canary.requests };
  if (input.baseline) samples.baseline = input.baseline.requests;
  if (input.stored) samples.stored = input.stored.requests;
  const outcomes: LimitOutcome[] = [];
  const refs: [
    ArmStepMeasurements | undefined,
    'baseline' | 'stored baseline',
    { ratio: number; slack: number } | undefined,
  ][] = [
    [input.baseline, 'baseline', check.vsBaseline],
    [input.stored, 'stored baseline', check.vsStored],
  ];
  const missing: string[] = [];
  if (check.metric === 'throughput') {
    if (check.min !== undefined) outcomes.push(throughputAbsolute(check, input, check.min));
  } else if (check.metric === 'errorRate') {
    if (check.max !== undefined) outcomes.push(errorAbsolute(input, a, check.max));
    for (const [ref, label, limit] of refs) {
      if (!limit) continue;
      if (ref) outcomes.push(errorRelative(input, a, ref, label, limit));
      else missing.push(label);
    }
  } else if (check.metric === 'distribution') {
    for (const [ref, label, limit] of refs) {
      if (!limit) continue;
      if (ref)
        outcomes.push(
          distributionRelative(input, a, ref, label, limit.ratio > 1 ? limit.ratio : 1 + input.statistics.maxIncrease),
        );
      else missing.push(label);
    }
  } else {
    if (check.max !== undefined) outcomes.push(latencyAbsolute(check, input, a, check.max));
    for (const [ref, label, limit] of refs) {
      if (!limit) continue;
      if (ref) outcomes.push(latencyRelative(check, input, a, ref, label, limit));
      else missing.push(label);
    }
  }
  for (const label of missing) {
    outcomes.push({
      status: 'inconclusive',
      threshold: null,
      interval: null,
      statistical: false,
      sentence: `no ${label} measurements to compare with`,
    });
  }
  const failed = outcomes.find((o) => o.status === 'fail');
  const open = outcomes.find((o) => o.status === 'inconclusive');
  const binding = failed ?? open ?? outcomes[0];
  const status: CheckStatus = failed ? 'fail' : open ? 'inconclusive' : outcomes.length > 0 ? 'pass' : 'error';
  const needs = outcomes.map((o) => o.needSamples).filter((x): x is number => x !== undefined);
  return {
    name: check.name,
    group: check.group,
    status,
    observed: input.canary.requests > 0 ? observedOf(check, input.canary) : null,
    interval: binding?.interval ?? null,
    threshold: binding?.threshold ?? null,
    unit: check.unit,
    samples,
    ...(status === 'inconclusive' && needs.length > 0 ? { needSamples: Math.max(...needs) } : {}),
    critical: check.critical,
    reason: outcomes.map((o) => o.sentence).join('; ') || 'no limits to check',
  };
}

function verdict(
  decision: StepVerdict['decision'],
  checks: CheckResult[],
  score: Scorecard,
  alpha: number,
  reason: string,
): StepVerdict {
  return { decision, checks, score, alpha, reason };
}

function judgeExternal(x: ExternalCheck, samples: Record<string, number>): CheckResult {
  const base = {
    name: x.name,
    group: x.group ?? 'external',
    unit: 'value' as const,
    samples,
    critical: x.critical,
    interval: null,
  };
  const limit =
    x.vsBaseline && x.vsBaseline.baseline !== null
      ? x.vsBaseline.baseline * x.vsBaseline.ratio + x.vsBaseline.slack
      : undefined;
  const value = x.value;
  // A canary value that already breaks an absolute bound fails, whatever the baseline gave.
  const brokenAbsolute =
    value !== null && ((x.max !== undefined && value > x.max) || (x.min !== undefined && value < x.min));
  const noBaseline = x.vsBaseline !== undefined && x.vsBaseline.baseline === null;
  if (value === null || (noBaseline && !brokenAbsolute)) {
    const status = x.onUnavailable === 'inconclusive' ? 'inconclusive' : 'error';
    const what = value === null ? 'no value' : 'no baseline value';
    return {
      ...base,
      status,
      observed: value,
      threshold: x.max ?? x.min ?? limit ?? null,
      reason: `${x.name}: ${what} (${x.problem ?? 'the source could not be read'}); ${status === 'error' ? 'failing closed' : 'inconclusive'}`,
    };
  }
  const over = x.max !== undefined && value > x.max;
  const under = x.min !== undefined && value < x.min;
  const overBaseline = limit !== undefined && value > limit;
  const bounds = [
    x.max !== undefined ? `≤ ${plain(x.max)}` : '',
    x.min !== undefined ? `≥ ${plain(x.min)}` : '',
    x.vsBaseline && limit !== undefined
      ? `≤ baseline ${plain(x.vsBaseline.baseline as number)} × ${x.vsBaseline.ratio}${x.vsBaseline.slack ? ` + ${plain(x.vsBaseline.slack)}` : ''} = ${plain(limit)}`
      : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const failed = over || under || overBaseline;
  return {
    ...base,
    status: failed ? 'fail' : 'pass',
    observed: value,
    threshold: over
      ? (x.max ?? null)
      : under
        ? (x.min ?? null)
        : overBaseline
          ? (limit ?? null)
          : (x.max ?? limit ?? x.min ?? null),
    reason: `${x.name} = ${plain(value)} ${failed ? 'breaks' : 'meets'} ${bounds || 'no bound'}${x.detail ? `: ${x.detail}` : ''}`,
  };
}

/** A plain number for sentences: at most 4 significant digits, no exponent for ordinary sizes. */
function plain(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** Judge one look at a step. */
export function judgeStep(input: JudgeInput): StepVerdict {
  const a = input.alpha / comparisonCount(input.checks);
  const samples = { canary: input.canary.requests };
  const checks = [
    ...input.checks.map((check) => judgeCheck(check, input, a)),
    ...(input.external ?? []).map((x) => judgeExternal(x, samples)),
    ...(input.decided ?? []),
  ];
  const card = scoreChecks(checks, input.weights, input.passScore);
  // External sources fail closed: a value that could not be read rolls back like a critical failure.
  const critical = checks.find(
    (c) =>
      (c.critical && (c.status === 'fail' || c.status === 'error')) || (c.unit === 'value' && c.status === 'error'),
  );
  if (critical)
    return verdict('rollback', checks, card, input.alpha, `critical check ${critical.name} failed: ${critical.reason}`);
  const failed = checks.filter((c) => c.status === 'fail' || c.status === 'error');
  const open = checks.filter((c) => c.status === 'inconclusive');
  if (card.bestPossible < input.passScore) {
    return verdict(
      'rollback',
      checks,
      card,
      input.alpha,
      `NO-GO even if every open check passed (best score ${card.bestPossible}/10): ${failed.map((c) => c.reason).join('; ')}`,
    );
  }
  if (!input.mayPass)
    return verdict('extend', checks, card, input.alpha, 'measuring: the step has not run its planned duration');
  if (open.length > 0) {
    if (!input.finalLook) {
      return verdict(
        'extend',
        checks,
        card,
        input.alpha,
        `inconclusive: ${open.map((c) => `${c.name} (${c.unit === 'value' ? 'waiting for a value' : `${c.needSamples ?? '?'} canary samples needed`})`).join(', ')}`,
      );
    }
    // A check without a value is never a pass, whatever the policy for undecided statistics.
    const unread = open.filter((c) => c.unit === 'value');
    if (input.statistics.inconclusive === 'rollback' || unread.length > 0) {
      return verdict(
        'rollback',
        checks,
        card,
        input.alpha,
        `still inconclusive at the longest step: ${open.map((c) => c.reason).join('; ')}`,
      );
    }
    const go = card.bestPossible >= input.passScore;
    return verdict(
      go ? 'continue' : 'rollback',
      checks,
      card,
      input.alpha,
      `inconclusive checks counted as passing (policy "continue"): score ${card.bestPossible}/10`,
    );
  }
  if (!card.go)
    return verdict(
      'rollback',
      checks,
      card,
      input.alpha,
      `NO-GO: score ${card.score}/10 under ${input.passScore}: ${failed.map((c) => c.reason).join('; ')}`,
    );
  return verdict(
    'continue',
    checks,
    card,
    input.alpha,
    checks.length === 0
      ? 'no checks configured'
      : failed.length === 0
        ? `all ${checks.length} checks pass (score ${card.score}/10)`
        : `GO with score ${card.score}/10; failed: ${failed.map((c) => c.name).join(', ')}`,
  );
}
