/**
 * The rollout driver: pre-flight, then for each step set the weight (announced in the journal
 * first), measure, ask the judge, and continue, extend or roll back. It owns time and side
 * effects; the load engine only measures and the judge only decides. Whatever ends a run early —
 * a failed gate, an abort signal, an error — resets the router to 0 % canary before it returns.
 */
import { performance } from 'node:perf_hooks';
import { type ArmMeasurements, type ArmStepMeasurements, emptyArm, encodeArm, judgeArm } from '../arm/arm.js';
import { DECISION_EXIT, type Decision } from '../exit-codes.js';
import { lookAlpha } from '../gates/alpha-spending.js';
import type { ExternalCheck } from '../gates/judge.js';
import { judgeStep } from '../gates/judge.js';
import type { CheckResult, StepVerdict } from '../gates/verdict.js';
import { type LoadProgress, runLoad } from '../load/engine.js';
import type { IntervalPoint } from '../load/interval-series.js';
import { mergeArms } from '../load/merge.js';
import type { LoadPlan } from '../load/plan.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import type { ExternalSource } from '../metrics/external-checks.js';
import {
  type HealthResult,
  machineFingerprint,
  RUN_RESULT_SCHEMA_VERSION,
  type RunResult,
  type StepResult,
} from '../result/run-result.js';
import type { RunScenario } from '../scenario/schema.js';
import { type SecurityLook, stoppedVerdict } from '../security/gate.js';
import { preflight } from './preflight.js';
import type { Router } from './routers/router.js';
import { runArgv } from './routers/run-argv.js';
import type { WeightEntry, WeightJournal } from './weight-journal.js';

/** Something the driver did, for progress displays and logs. */
export type DriverEvent =
  | { type: 'preflight'; results: HealthResult[] }
  | { type: 'preflight-security'; look: NonNullable<RunResult['preflightSecurity']> }
  | { type: 'step'; index: number; weight: number }
  | { type: 'progress'; index: number; plannedMs: number; progress: LoadProgress }
  | { type: 'verdict'; index: number; verdict: StepVerdict; extensions: number }
  | { type: 'reset'; reason: string }
  | { type: 'hook'; name: string; ok: boolean; detail: string };

/** Everything a canary run needs. */
export interface CanaryRunOptions {
  scenario: RunScenario;
  scenarioFile: string;
  digest: string;
  router: Router;
  run: string;
  /** Where each weight change is announced before it is made. */
  journal: WeightJournal;
  /**
   * Aborts the run; the router is reset. An Error as the abort reason makes the decision
   * "aborted" (exit 3); anything else (a signal) makes it "interrupted" (exit 130).
   */
  signal?: AbortSignal;
  onEvent?: (event: DriverEvent) => void;
  /** Removes secrets from text the driver stores (the journal). */
  redact: (text: string) => string;
  /** Stored-baseline measurements for step i (vsStored limits), when a baseline file is given. */
  stored?: (index: number) => ArmStepMeasurements | undefined;
  /** Warnings carried into the result (a baseline recorded elsewhere). */
  warnings?: string[];
  /** Values from outside the load (Prometheus, Alertmanager), read at every look. Never throws. */
  external?: ExternalSource;
  /**
   * The security probes, asked in pre-flight and once per step right after its weight is applied
   * (1 = the first step), before its load: a blocking canary finding rolls back at once, a blocking
   * baseline finding in pre-flight aborts. Never throws.
   */
  security?: (at: 'preflight' | number) => Promise<SecurityLook>;
}

interface StepMeasurement {
  arms: Map<string, ArmMeasurements>;
  durationMs: number;
  /** Per-second points per arm, from the start of measuring. */
  intervals: Record<string, IntervalPoint[]>;
  /** When measuring began, ms since the run started. */
  startedAtMs: number;
}

/** Run a staged canary to a decision. Never throws for run-time failures: they become "aborted". */
export async function runCanary(o: CanaryRunOptions): Promise<RunResult> {
  const { scenario, router, journal } = o;
  const startedAt = new Date().toISOString();
  const runStartMs = performance.now();
  const steps: StepResult[] = [];
  const emit = (event: DriverEvent): void => o.onEvent?.(event);
  journal.append({
    event: 'start',
    scenarioFile: o.scenarioFile,
    router: o.redact(router.describe()),
    digest: o.digest,
  });

  let preflightSecurity: RunResult['preflightSecurity'];
  const result = (preflightResults: HealthResult[], decision: Decision, reason: string): RunResult => ({
    schemaVersion: RUN_RESULT_SCHEMA_VERSION,
    run: o.run,
    scenario: { name: scenario.name, file: o.scenarioFile, digest: o.digest },
    router: router.describe(),
    startedAt,
    endedAt: new Date().toISOString(),
    machine: machineFingerprint(),
    preflight: preflightResults,
    steps,
    decision,
    reason,
    exitCode: DECISION_EXIT[decision],
    warnings: o.warnings ?? [],
    ...(preflightSecurity ? { preflightSecurity } : {}),
  });

  const health = await preflight(scenario);
  emit({ type: 'preflight', results: health });
  const sick = health.filter((h) => !h.healthy);
  if (sick.length > 0) {
    journal.append({ event: 'end', decision: 'aborted' });
    const list = sick.map((h) => `${h.service} ${h.url} (${h.detail})`).join(', ');
    return result(
      health,
      'aborted',
      `pre-flight: ${health.length - sick.length}/${health.length} healthy; unhealthy: ${list}; no weight was changed`,
    );
  }
  const pre = await o.security?.('preflight');
  if (pre && !o.signal?.aborted) {
    const decided = pre.stop ? (pre.stop.arm === 'canary' ? 'rollback' : 'aborted') : 'continue';
    preflightSecurity = { decision: decided, checks: [...pre.judged, ...pre.reported] };
    emit({ type: 'preflight-security', look: preflightSecurity });
    if (decided !== 'continue') {
      journal.append({ event: 'end', decision: decided });
      return result(health, decided, `pre-flight: ${pre.stop?.reason}; no weight was changed`);
    }
  }

  let decision: Decision = 'promote';
  let reason = '';
  let lastBaseline: ArmStepMeasurements | undefined;
  try {
    // A router that carries the traffic itself is where the probe load goes too.
    const throughUrl = router.listen ? await router.listen() : undefined;
    for (const [index, weight] of scenario.steps.entries()) {
      if (o.signal?.aborted) break;
      emit({ type: 'step', index, weight });
      journal.append({ event: 'weight', step: index, weight });
      await router.setWeight({ weight, step: index, run: o.run });
      const appliedAtMs = performance.now();
      journal.append({ event: 'applied', step: index, weight });
      if (o.signal?.aborted) break;
      const security = await o.security?.(index + 1);
      if (o.signal?.aborted) break;
      if (security?.stop?.arm === 'canary') {
        const verdict = stoppedVerdict(security, scenario.gates);
        emit({ type: 'verdict', index, verdict, extensions: 0 });
        steps.push(unmeasuredStep(index, weight, performance.now() - runStartMs, verdict));
        decision = 'rollback';
        reason = `step ${index + 1} (${weight}%): ${verdict.reason}`;
        break;
      }

      // Looks: every minStepDuration (default: once, at stepDuration) up to stepDuration, then
      // extensions of the same length up to maxStepDuration. Each look spends its share of the
      // step's false-rollback budget; only looks from stepDuration on may pass a check.
      const t = scenario.traffic;
      const maxMs = Math.max(t.maxStepDuration ?? t.stepDuration, t.stepDuration);
      const chunkMs = Math.min(t.minStepDuration ?? t.stepDuration, t.stepDuration);
      const stepAlpha = scenario.gates.statistics.alpha / scenario.steps.length;
      let elapsedMs = chunkMs;
      let measured = await measure(o, runStartMs, weight, index, elapsedMs, t.warmup, throughUrl);
      let spentUntil = 0;
      let looks = 1;
      const look = async (): Promise<StepVerdict> => {
        const fraction = elapsedMs / maxMs;
        const alpha = lookAlpha(stepAlpha, spentUntil, fraction);
        spentUntil = fraction;
        const external = o.external
          ? await o.external({
              index,
              weight,
              windowMs: performance.now() - appliedAtMs,
              ...(o.signal ? { signal: o.signal } : {}),
            })
          : undefined;
        const v = judge(
          scenario,
          measured,
          lastBaseline,
          o.stored?.(index),
          alpha,
          elapsedMs >= t.stepDuration - 1,
          elapsedMs >= maxMs - 1,
          external,
          security?.judged,
        );
        // The baseline's findings are shown beside the canary's, never scored.
        return security ? { ...v, checks: [...v.checks, ...security.reported] } : v;
      };
      let verdict = await look();
      while (verdict.decision === 'extend' && !o.signal?.aborted && elapsedMs < maxMs - 1) {
        emit({ type: 'verdict', index, verdict, extensions: looks - 1 });
        const next =
          elapsedMs < t.stepDuration
            ? Math.min(chunkMs, t.stepDuration - elapsedMs)
            : Math.min(t.stepDuration, maxMs - elapsedMs);
        measured = combine(measured, await measure(o, runStartMs, weight, index, next, 0, throughUrl));
        elapsedMs += next;
        looks++;
        verdict = await look();
      }
      const extensions = looks - 1;
      if (o.signal?.aborted) break;
      emit({ type: 'verdict', index, verdict, extensions });
      steps.push(stepResult(index, weight, measured, extensions, verdict, scenario.tracing?.urlTemplate));
      const baseline = measured.arms.get('baseline');
      if (baseline && baseline.counters.requests >= scenario.gates.statistics.minSamples) {
        lastBaseline = judgeArm(baseline, measured.durationMs);
      }
      if (verdict.decision === 'rollback') {
        decision = 'rollback';
        reason = `step ${index + 1} (${weight}%): ${verdict.reason}`;
        break;
      }
    }
    if (o.signal?.aborted) {
      const cause: unknown = o.signal.reason;
      if (cause instanceof Error) {
        decision = 'aborted';
        reason = `aborted by an error: ${cause.message}`;
      } else {
        decision = 'interrupted';
        reason = `interrupted${(cause as { signal?: string })?.signal ? ` by ${(cause as { signal: string }).signal}` : ''}`;
      }
    } else if (decision === 'promote') {
      reason = `all ${scenario.steps.length} steps passed`;
    }
  } catch (error) {
    decision = 'aborted';
    reason = error instanceof Error ? error.message : String(error);
  }

  try {
    if (decision !== 'promote') {
      emit({ type: 'reset', reason });
      // The journal is best-effort here: a full disk must not stop the reset itself.
      tryAppend(journal, { event: 'reset', reason: o.redact(reason) });
      try {
        await router.reset(o.run);
        tryAppend(journal, { event: 'reset-done' });
      } catch (error) {
        decision = 'aborted';
        reason = `${reason}; resetting the router failed too (${(error as Error).message}); run canary-gate recover ${journal.path}`;
      }
    }
    const hook = decision === 'promote' ? scenario.hooks.promote : scenario.hooks.rollback;
    if (hook) await runHook(decision === 'promote' ? 'promote' : 'rollback', hook, emit);
    tryAppend(journal, { event: 'end', decision });
  } finally {
    await router.close().catch(() => {});
  }
  return result(health, decision, reason);
}

function tryAppend(journal: WeightJournal, entry: WeightEntry): void {
  try {
    journal.append(entry);
  } catch {
    // Reported by recover: a journal without reset-done is treated as unsettled.
  }
}

async function runHook(name: string, argv: string[], emit: (e: DriverEvent) => void): Promise<void> {
  try {
    const r = await runArgv(argv, 60_000);
    emit({
      type: 'hook',
      name,
      ok: r.code === 0,
      detail: r.code === 0 ? 'ok' : `exited ${r.code}: ${r.stderr.trim()}`,
    });
  } catch (error) {
    emit({ type: 'hook', name, ok: false, detail: (error as Error).message });
  }
}

/** One stretch of load at `weight`; per-arm measurements of the measured part. */
async function measure(
  o: CanaryRunOptions,
  runStartMs: number,
  weight: number,
  index: number,
  durationMs: number,
  warmupMs: number,
  throughUrl: string | undefined,
): Promise<StepMeasurement> {
  const s = o.scenario;
  const onProgress = (progress: LoadProgress) =>
    o.onEvent?.({ type: 'progress', index, plannedMs: durationMs, progress });
  const options = { onProgress, ...(o.signal ? { signal: o.signal } : {}) };
  const measurer = o.router.measuresArms;
  if (throughUrl !== undefined && measurer) {
    // The router carries the traffic and measures each arm itself.
    const startedAtMs = performance.now() - runStartMs + warmupMs;
    measurer.startMeasuring(performance.now() + warmupMs);
    const result = await runLoad(
      scenarioLoadPlan(s, [{ arm: 'client', url: throughUrl, weight: 1 }], durationMs, warmupMs),
      options,
    );
    return {
      arms: new Map(measurer.measurements().map((m) => [m.arm, m])),
      durationMs,
      intervals: result.intervals,
      startedAtMs,
    };
  }
  // split, nginx, exec, webhook: canary-gate's own requests go straight to each arm in the
  // router's proportions, so each arm is measured apart while the router moves real traffic.
  const targets: LoadPlan['targets'] = [];
  if (s.targets.baseline && weight < 100)
    targets.push({ arm: 'baseline', url: s.targets.baseline.url, weight: 100 - weight });
  if (weight > 0) targets.push({ arm: 'canary', url: s.targets.canary.url, weight });
  const startedAtMs = performance.now() - runStartMs + warmupMs;
  const result = await runLoad(scenarioLoadPlan(s, targets, durationMs, warmupMs), options);
  return {
    arms: new Map(result.arms.map((m) => [m.arm, m])),
    durationMs: result.sendWindowMs,
    intervals: result.intervals,
    startedAtMs,
  };
}

function combine(a: StepMeasurement, b: StepMeasurement): StepMeasurement {
  const arms = new Map(a.arms);
  for (const [arm, m] of b.arms) {
    const before = arms.get(arm);
    arms.set(arm, before ? mergeArms([before, m], arm, m.url) : m);
  }
  // b's points continue a's series on one clock.
  const intervals: Record<string, IntervalPoint[]> = { ...a.intervals };
  const offset = b.startedAtMs - a.startedAtMs;
  for (const [arm, points] of Object.entries(b.intervals)) {
    intervals[arm] = [...(intervals[arm] ?? []), ...points.map((p) => ({ ...p, startMs: p.startMs + offset }))];
  }
  return { arms, durationMs: a.durationMs + b.durationMs, intervals, startedAtMs: a.startedAtMs };
}

function judge(
  scenario: RunScenario,
  m: StepMeasurement,
  lastBaseline: ArmStepMeasurements | undefined,
  stored: ArmStepMeasurements | undefined,
  alpha: number,
  mayPass: boolean,
  finalLook: boolean,
  external: readonly ExternalCheck[] | undefined,
  decided: readonly CheckResult[] | undefined,
): StepVerdict {
  const canary = m.arms.get('canary');
  const baseline = m.arms.get('baseline');
  const { statistics, checks, weights, passScore } = scenario.gates;
  // At 100 % the baseline arm carries nothing: relative checks use the last step that measured it.
  const liveBaseline =
    baseline && baseline.counters.requests >= statistics.minSamples ? judgeArm(baseline, m.durationMs) : lastBaseline;
  return judgeStep({
    canary: judgeArm(canary ?? emptyArm('canary', scenario.targets.canary.url), m.durationMs),
    ...(liveBaseline ? { baseline: liveBaseline } : {}),
    ...(stored ? { stored } : {}),
    ...(external ? { external } : {}),
    ...(decided ? { decided } : {}),
    checks,
    statistics,
    weights,
    passScore,
    alpha,
    mayPass,
    finalLook,
  });
}

function stepResult(
  index: number,
  weight: number,
  m: StepMeasurement,
  extensions: number,
  verdict: StepVerdict,
  traceUrl: string | undefined,
): StepResult {
  const arms: StepResult['arms'] = {};
  for (const [arm, a] of m.arms) arms[arm] = encodeArm(a, traceUrl);
  return {
    index,
    weight,
    startedAtMs: Math.round(m.startedAtMs),
    durationMs: Math.round(m.durationMs),
    extensions,
    arms,
    intervals: m.intervals,
    verdict,
  };
}

/** A step stopped before its load (a blocking security finding): its verdict, nothing measured. */
function unmeasuredStep(index: number, weight: number, atMs: number, verdict: StepVerdict): StepResult {
  return {
    index,
    weight,
    startedAtMs: Math.round(atMs),
    durationMs: 0,
    extensions: 0,
    arms: {},
    intervals: {},
    verdict,
  };
}
