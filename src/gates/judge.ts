/**
 * The judge: per-arm histograms and counters in, a StepVerdict out. Pure.
 *
 * Every check has three outcomes, each on evidence: it passes only when the canary is shown
 * within its margin (the bound at the look's false-promotion level, beta, is inside it), fails
 * only when shown beyond it (the bound at the look's share of the false-rollback budget, alpha,
 * is past it), and is otherwise inconclusive, so the driver keeps measuring. Quantiles use exact
 * order-statistic bounds and test the ratio to the limit itself; distributions use Mann-Whitney on
 * the canary held to the margin; error rates exact bounds or a score test against the margin.
 * Bursts widen every interval (design effects from per-second windows), windows where the
 * generator fell behind or a transient hit both arms are left out, and requests that failed
 * without a response count as slower than any. A failed critical check rolls back whatever the
 * score; the score never promotes past one.
 */
import type { Check } from '../scenario/schema.js';
import { type ArmStepMeasurements, type JudgedArm, judgedArm } from './arms.js';
import { type ExternalCheck, judgeExternal } from './external.js';
import { formatCount } from './format.js';
import { distributionRelative } from './limits/distribution.js';
import { errorAbsolute, errorRelative } from './limits/errors.js';
import { latencyAbsolute, latencyRelative, readLatency } from './limits/latency.js';
import type { LimitContext, LimitOutcome } from './limits/outcome.js';
import { throughputAbsolute } from './limits/throughput.js';
import { type Scorecard, scoreChecks } from './score.js';
import type { CheckResult, CheckStatus, ExcludedWindow, StepVerdict } from './verdict.js';
import { exclusionsOf } from './windows.js';

export type { ArmStepMeasurements } from './arms.js';
export type { ExternalCheck } from './external.js';
export type { ArmWindow, WindowExclusion } from './windows.js';

/** The judge's input for one look at a step. */
export interface JudgeInput {
  canary: ArmStepMeasurements;
  /** The live baseline arm, or the pooled baseline of earlier steps (pooledSteps set). */
  baseline?: ArmStepMeasurements;
  /** The stored baseline, for vsStored limits. */
  stored?: ArmStepMeasurements;
  checks: readonly Check[];
  /** External values checked at this look (Prometheus queries, Alertmanager). */
  external?: readonly ExternalCheck[];
  /** Checks decided outside the load (the security probes' findings): scored and acted on like the judge's own. */
  decided?: readonly CheckResult[];
  /** `beta`: the false-promotion budget per check when the look gives none (default 0.05). */
  statistics: { minSamples: number; maxIncrease: number; inconclusive: 'rollback' | 'continue'; beta?: number };
  weights: Readonly<Record<string, number>>;
  passScore: number;
  /** False-rollback budget of this look, for all statistical comparisons together. */
  alpha: number;
  /**
   * False-promotion budget of this look, per check (a regressed canary is promoted only if its
   * check passes, so checks do not split it). Default: statistics.beta at every look that may pass.
   */
  beta?: number;
  /** The step has run its planned duration, so checks may pass (earlier looks can only fail). */
  mayPass: boolean;
  /** The step cannot be extended further. */
  finalLook: boolean;
  /** The request timeout, ms: failed requests without a latency count at it (else as slower than any). */
  timeoutMs?: number;
}

/** Default false-promotion budget per check when neither the look nor the statistics give one. */
export const DEFAULT_BETA = 0.05;

/** How many statistical comparisons the checks make (the look's alpha is split over them). */
export function comparisonCount(checks: readonly Check[]): number {
  let n = 0;
  for (const c of checks) {
    if (c.metric === 'max') continue;
    if (c.max !== undefined) n++;
    if (c.min !== undefined) n++;
    if (c.vsBaseline) n++;
    if (c.vsStored) n++;
  }
  return Math.max(1, n);
}

/** "steps 1–4", "steps 1, 3", "step 2". */
export function stepList(steps: readonly number[]): string {
  const sorted = [...steps].sort((a, b) => a - b);
  if (sorted.length === 1) return `step ${sorted[0]}`;
  const contiguous = sorted.every((s, i) => i === 0 || s === (sorted[i - 1] as number) + 1);
  return contiguous ? `steps ${sorted[0]}–${sorted[sorted.length - 1]}` : `steps ${sorted.join(', ')}`;
}

interface Arms {
  canary: JudgedArm;
  baseline: JudgedArm | undefined;
  stored: JudgedArm | undefined;
  excluded: ExcludedWindow[];
}

function prepareArms(input: JudgeInput, failureUs: number): Arms {
  const live = input.baseline && !input.baseline.pooledSteps ? input.baseline : undefined;
  // Windows of the canary and the live baseline are simultaneous: one set of exclusions for both.
  const together = exclusionsOf(input.canary.windows, live?.windows);
  const own = (arm: ArmStepMeasurements | undefined) => exclusionsOf(arm?.windows, undefined);
  const baselineLabel = input.baseline?.pooledSteps
    ? `pooled baseline (${stepList(input.baseline.pooledSteps)})`
    : 'baseline';
  const excluded = [...together.entries()]
    .map(([startMs, why]) => ({ startMs, kind: why.kind, ...(why.detail ? { detail: why.detail } : {}) }))
    .sort((a, b) => a.startMs - b.startMs);
  return {
    canary: judgedArm(input.canary, 'canary', together, failureUs),
    baseline: input.baseline
      ? judgedArm(input.baseline, baselineLabel, live ? together : own(input.baseline), failureUs)
      : undefined,
    stored: input.stored ? judgedArm(input.stored, 'stored baseline', own(input.stored), failureUs) : undefined,
    excluded,
  };
}

function observedOf(check: Check, arm: JudgedArm): number | null {
  if (arm.requests === 0) return null;
  if (check.metric === 'errorRate') return arm.errors / arm.requests;
  if (check.metric === 'throughput') return arm.durationMs === 0 ? 0 : arm.requests / (arm.durationMs / 1000);
  const metric = check.metric === 'distribution' ? { ...check, metric: 'p50' as const } : check;
  const v = readLatency(metric, arm, 0.5, 0.5).estimate / 1000;
  return Number.isFinite(v) ? v : null;
}

function judgeCheck(check: Check, input: JudgeInput, arms: Arms, ctx: LimitContext): CheckResult {
  const { canary } = arms;
  const samples: Record<string, number> = { canary: canary.requests };
  if (arms.baseline) samples.baseline = arms.baseline.requests;
  if (arms.stored) samples.stored = arms.stored.requests;
  const outcomes: LimitOutcome[] = [];
  const refs = [
    [arms.baseline, 'baseline', check.vsBaseline],
    [arms.stored, 'stored baseline', check.vsStored],
  ] as const;
  const missing: string[] = [];
  const eachRef = (judge: (ref: JudgedArm, limit: { ratio: number; slack: number }) => LimitOutcome) => {
    for (const [ref, label, limit] of refs) {
      if (!limit) continue;
      if (ref) outcomes.push(judge(ref, limit));
      else missing.push(label);
    }
  };
  if (check.metric === 'throughput') {
    if (check.min !== undefined) outcomes.push(throughputAbsolute(canary, check.min, ctx));
  } else if (check.metric === 'errorRate') {
    if (check.max !== undefined) outcomes.push(errorAbsolute(canary, check.max, ctx));
    eachRef((ref, limit) => errorRelative(canary, ref, limit, ctx));
  } else if (check.metric === 'distribution') {
    eachRef((ref, limit) =>
      distributionRelative(
        canary,
        ref,
        { ratio: limit.ratio > 1 ? limit.ratio : 1 + input.statistics.maxIncrease, slack: limit.slack },
        ctx,
      ),
    );
  } else {
    if (check.max !== undefined) outcomes.push(latencyAbsolute(check, canary, check.max, ctx));
    eachRef((ref, limit) => latencyRelative(check, canary, ref, limit, ctx));
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
    observed: observedOf(check, canary),
    interval: binding?.interval ?? null,
    threshold: binding?.threshold ?? null,
    unit: check.unit,
    samples,
    ...(status === 'inconclusive' && needs.length > 0 ? { needSamples: Math.max(...needs) } : {}),
    critical: check.critical,
    reason:
      [...outcomes.map((o) => o.sentence), ...new Set(outcomes.flatMap((o) => o.notes ?? []))].join('; ') ||
      'no limits to check',
  };
}

/** " [left out, deciding nothing: 2 windows generator-limited, 1 window common transient]". */
function exclusionNote(excluded: readonly ExcludedWindow[]): string {
  if (excluded.length === 0) return '';
  const byKind = new Map<string, number>();
  for (const w of excluded) byKind.set(w.kind, (byKind.get(w.kind) ?? 0) + 1);
  const parts = [...byKind.entries()].map(([kind, n]) => `${formatCount(n)} window${n === 1 ? '' : 's'} ${kind}`);
  return ` [left out, deciding nothing: ${parts.join(', ')}]`;
}

const named = (checks: readonly CheckResult[]) => checks.map((c) => `${c.name}: ${c.reason}`).join('; ');

/** Judge one look at a step. */
export function judgeStep(input: JudgeInput): StepVerdict {
  const failureUs = input.timeoutMs !== undefined ? input.timeoutMs * 1000 : Number.POSITIVE_INFINITY;
  const arms = prepareArms(input, failureUs);
  const beta = input.beta ?? input.statistics.beta ?? DEFAULT_BETA;
  const ctx: LimitContext = {
    aFail: input.alpha / comparisonCount(input.checks),
    aPass: beta,
    mayPass: input.mayPass && beta > 0,
    minSamples: input.statistics.minSamples,
  };
  const samples = { canary: arms.canary.requests };
  const checks = [
    ...input.checks.map((check) => judgeCheck(check, input, arms, ctx)),
    ...(input.external ?? []).map((x) => judgeExternal(x, samples)),
    ...(input.decided ?? []),
  ];
  const card = scoreChecks(checks, input.weights, input.passScore);
  const note =
    (input.baseline?.pooledSteps ? ` (against the pooled baseline of ${stepList(input.baseline.pooledSteps)})` : '') +
    exclusionNote(arms.excluded);
  const verdict = (
    decision: StepVerdict['decision'],
    reason: string,
    decidedBy?: readonly CheckResult[],
    score: Scorecard = card,
  ): StepVerdict => ({
    decision,
    checks,
    score,
    alpha: input.alpha,
    beta: ctx.mayPass ? beta : 0,
    reason: reason + note,
    ...(decidedBy && decidedBy.length > 0 ? { decidedBy: decidedBy.map((c) => c.name) } : {}),
    ...(arms.excluded.length > 0 ? { excluded: arms.excluded } : {}),
  });
  // A critical check shown beyond its margin rolls back at once: no score outvotes it.
  const critical = checks.find((c) => c.critical && (c.status === 'fail' || c.status === 'error'));
  if (critical) return verdict('rollback', `critical check ${critical.name} failed: ${critical.reason}`, [critical]);
  // External sources fail closed: a value that could not be read rolls back like a critical failure.
  const unreadable = checks.find((c) => c.unit === 'value' && c.status === 'error');
  if (unreadable)
    return verdict('rollback', `check ${unreadable.name} failed closed: ${unreadable.reason}`, [unreadable]);
  const failed = checks.filter((c) => c.status === 'fail' || c.status === 'error');
  const open = checks.filter((c) => c.status === 'inconclusive');
  if (card.bestPossible < input.passScore) {
    return verdict(
      'rollback',
      `NO-GO even if every open check passed (best score ${card.bestPossible}/10 under ${input.passScore}): failed ${named(failed)}`,
      failed,
    );
  }
  if (!input.mayPass) return verdict('extend', 'measuring: the step has not run its planned duration');
  if (open.length > 0) {
    if (!input.finalLook) {
      const waiting = open.map(
        (c) =>
          `${c.name} (${c.unit === 'value' ? 'waiting for a value' : c.needSamples !== undefined ? `${formatCount(c.needSamples)} canary samples needed` : 'undecided'})`,
      );
      return verdict('extend', `inconclusive: ${waiting.join(', ')}`);
    }
    // A check without a value is never a pass, whatever the policy for undecided statistics.
    const unread = open.filter((c) => c.unit === 'value');
    if (input.statistics.inconclusive === 'rollback' || unread.length > 0) {
      return verdict('rollback', `still inconclusive at the longest step: ${named(open)}`, open);
    }
    // Policy "continue": the open checks count as passing, and the score shown is the one that decided.
    const counted = scoreChecks(
      checks.map((c) => (c.status === 'inconclusive' ? { ...c, status: 'pass' as const } : c)),
      input.weights,
      input.passScore,
    );
    if (!counted.go) {
      return verdict(
        'rollback',
        `NO-GO with the inconclusive checks counted as passing: score ${counted.score}/10 under ${input.passScore}: failed ${named(failed)}`,
        failed,
        counted,
      );
    }
    return verdict(
      'continue',
      `inconclusive checks counted as passing (policy "continue"): ${open.map((c) => c.name).join(', ')}; score ${counted.score}/10`,
      open,
      counted,
    );
  }
  if (!card.go) {
    return verdict(
      'rollback',
      `NO-GO: score ${card.score}/10 under ${input.passScore}: failed ${named(failed)}`,
      failed,
    );
  }
  return verdict(
    'continue',
    checks.length === 0
      ? 'no checks configured'
      : failed.length === 0
        ? `all ${checks.length} checks pass (score ${card.score}/10)`
        : `GO with score ${card.score}/10; failed: ${failed.map((c) => c.name).join(', ')}`,
  );
}
