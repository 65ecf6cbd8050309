/**
 * The judge, first form: absolute bounds and point-estimate limits relative to the live baseline
 * arm, from per-arm histograms and counters. Too few samples is inconclusive, never a pass.
 * Pure: measurements in, verdict out. The statistical judge (quantile intervals, Mann-Whitney U,
 * alpha spending) replaces the comparisons behind this same interface.
 */
import type { Histogram } from '../metrics/hdr.js';
import type { Check } from '../scenario/schema.js';
import type { CheckResult, StepVerdict } from './verdict.js';

/** One arm's measurements of a step. */
export interface ArmStepMeasurements {
  /** Latency from the intended send, µs. */
  latency: Histogram;
  /** Finished requests. */
  requests: number;
  /** Errors among them. */
  errors: number;
  /** Measured time, ms (for throughput). */
  durationMs: number;
}

/** The judge's input for one step. */
export interface JudgeInput {
  /** The canary arm. */
  canary: ArmStepMeasurements;
  /** The live baseline arm, when the run has one. */
  baseline?: ArmStepMeasurements;
  /** The checks to apply. */
  checks: readonly Check[];
  /** Fewest requests per arm before a check can pass or fail. */
  minSamples: number;
  /** True when the step cannot be extended any more: inconclusive then counts as a failure. */
  finalLook: boolean;
}

const PERCENTILE: Record<string, number> = { p50: 50, p90: 90, p95: 95, p99: 99, p999: 99.9 };

/** A metric of one arm, in the check's unit. */
export function metricOf(check: Check, arm: ArmStepMeasurements): number {
  switch (check.metric) {
    case 'errorRate':
      return arm.requests === 0 ? 0 : arm.errors / arm.requests;
    case 'throughput':
      return arm.durationMs === 0 ? 0 : arm.requests / (arm.durationMs / 1000);
    case 'max':
      return arm.latency.maxValue / 1000;
    case 'mean':
      return arm.latency.mean / 1000;
    default:
      return Math.min(arm.latency.getValueAtPercentile(PERCENTILE[check.metric] ?? 50), arm.latency.maxValue) / 1000;
  }
}

const fmt = (check: Check, v: number): string =>
  check.unit === 'ms'
    ? `${Number(v.toFixed(2))}ms`
    : check.unit === 'fraction'
      ? `${Number((v * 100).toFixed(3))}%`
      : `${Number(v.toFixed(1))}/s`;

function judgeCheck(check: Check, input: JudgeInput): CheckResult {
  const samples: Record<string, number> = { canary: input.canary.requests };
  if (input.baseline) samples.baseline = input.baseline.requests;
  const base = { name: check.name, unit: check.unit, samples, critical: check.critical };
  const enough =
    input.canary.requests >= input.minSamples &&
    (!check.vsBaseline || (input.baseline?.requests ?? 0) >= input.minSamples);
  if (!enough) {
    return {
      ...base,
      status: 'inconclusive',
      observed: null,
      threshold: null,
      reason: `${Object.entries(samples)
        .map(([arm, n]) => `${arm} ${n}`)
        .join(', ')} requests; ${input.minSamples} per arm are needed`,
    };
  }
  const observed = metricOf(check, input.canary);
  // The tightest of the bounds that apply is the threshold.
  const limits: { bound: number; kind: 'max' | 'min'; how: string }[] = [];
  if (check.max !== undefined) limits.push({ bound: check.max, kind: 'max', how: `at most ${fmt(check, check.max)}` });
  if (check.min !== undefined) limits.push({ bound: check.min, kind: 'min', how: `at least ${fmt(check, check.min)}` });
  if (check.vsBaseline && input.baseline) {
    const reference = metricOf(check, input.baseline);
    const bound = reference * check.vsBaseline.ratio + check.vsBaseline.slack;
    limits.push({
      bound,
      kind: 'max',
      how: `at most baseline ${fmt(check, reference)} × ${check.vsBaseline.ratio} + ${fmt(check, check.vsBaseline.slack)} = ${fmt(check, bound)}`,
    });
  }
  const broken = limits.find((l) => (l.kind === 'max' ? observed > l.bound : observed < l.bound));
  const binding =
    broken ??
    limits.reduce(
      (a, b) => (a.kind === 'max' && b.bound < a.bound ? b : a),
      limits[0] ?? { bound: Number.NaN, kind: 'max', how: '' },
    );
  return {
    ...base,
    status: broken ? 'fail' : 'pass',
    observed,
    threshold: Number.isNaN(binding.bound) ? null : binding.bound,
    reason: `canary ${check.metric} ${fmt(check, observed)} ${broken ? 'breaks' : 'meets'} the limit: ${binding.how}`,
  };
}

/** Judge one step. */
export function judgeStep(input: JudgeInput): StepVerdict {
  const checks = input.checks.map((check) => judgeCheck(check, input));
  const failed = checks.filter((c) => c.status === 'fail');
  const critical = failed.find((c) => c.critical);
  if (critical)
    return { decision: 'rollback', checks, reason: `critical check ${critical.name} failed: ${critical.reason}` };
  if (failed.length > 0) {
    return {
      decision: 'rollback',
      checks,
      reason: `${failed.map((c) => c.name).join(', ')} failed: ${failed[0]?.reason}`,
    };
  }
  const open = checks.filter((c) => c.status === 'inconclusive');
  if (open.length > 0) {
    if (input.finalLook) {
      return { decision: 'rollback', checks, reason: `still inconclusive at the longest step: ${open[0]?.reason}` };
    }
    return { decision: 'extend', checks, reason: `inconclusive: ${open[0]?.reason}` };
  }
  return {
    decision: 'continue',
    checks,
    reason: checks.length === 0 ? 'no checks configured' : `all ${checks.length} checks pass`,
  };
}
