/**
 * The rollout driver: pre-flight, then for each step set the weight (announced in the journal
 * first), measure, ask the judge, and continue, extend or roll back. It owns time and side
 * effects; the load engine only measures and the judge only decides. Whatever ends a run early —
 * a failed gate, an abort signal, an error — resets the router to 0 % canary before it returns.
 */
import { performance } from 'node:perf_hooks';
import { type ArmStepMeasurements, emptyArm, encodeArm, judgeArm } from '../arm/arm.js';
import { DECISION_EXIT, type Decision } from '../exit-codes.js';
import type { ExternalCheck } from '../gates/judge.js';
import { judgeStep } from '../gates/judge.js';
import { type PoolPart, poolBaseline } from '../gates/pool.js';
import { lookBudget, SPENDING_START } from '../gates/spending.js';
import type { CheckResult, StepVerdict } from '../gates/verdict.js';
import type { LoadProgress } from '../load/engine.js';
import { ENGINE_LIMITS } from '../load/plan.js';
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
import { type LoadStarter, RolloutLoad, type StepLook } from './rollout-load.js';
import type { Router } from './routers/router.js';
import { runArgv } from './routers/run-argv.js';
import { stepBudget } from './step-budget.js';
import { stepQuality } from './step-quality.js';
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
  /** What runs the rollout's load (default: the in-process engine; shards with `run --shards`). */
  load?: LoadStarter;
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
    ...(scenario.gates.defaultChecks
      ? { defaultChecks: { names: scenario.gates.checks.map((c) => c.name), reference: scenario.gates.defaultChecks } }
      : {}),
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
  let load: RolloutLoad | undefined;
  // Each earlier step's baseline arm and the windows its verdict left out: the pooled baseline.
  const pool: PoolPart[] = [];
  let current = { index: 0, plannedMs: scenario.traffic.stepDuration, firstInterval: 0 };
  try {
    // A router that carries the traffic itself is where the probe load goes too.
    const throughUrl = router.listen ? await router.listen() : undefined;
    const measurer = router.measuresArms;
    const t = scenario.traffic;
    const maxMs = Math.max(t.maxStepDuration ?? t.stepDuration, t.stepDuration);
    const chunkMs = Math.min(t.minStepDuration ?? t.stepDuration, t.stepDuration);
    for (const [index, weight] of scenario.steps.entries()) {
      if (o.signal?.aborted) break;
      emit({ type: 'step', index, weight });
      journal.append({ event: 'weight', step: index, weight });
      await router.setWeight({ weight, step: index, run: o.run, ...(o.signal ? { signal: o.signal } : {}) });
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

      // One load for the whole rollout, started once the first weight is in place: the warm-up
      // happens once, and every later step keeps the same connections.
      load ??= new RolloutLoad({
        scenario,
        firstWeight: weight,
        durationMs: rolloutBoundMs(scenario.steps.length, maxMs, t.warmup),
        ...(throughUrl !== undefined && measurer ? { through: { url: throughUrl, measurer } } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.load ? { start: o.load } : {}),
        // Progress counts seconds from the step's start, as the step's planned time does.
        onProgress: (progress) =>
          o.onEvent?.({
            type: 'progress',
            index: current.index,
            plannedMs: current.plannedMs,
            progress: { ...progress, elapsedSec: Math.max(0, progress.elapsedSec - current.firstInterval) },
          }),
      });
      // Shards that start on command have a start once every one is up: step 1's clock runs from it.
      await load.started(o.signal);
      load.setWeight(weight);
      const mark = load.beginStep();
      const stepStartMs = mark.fromMs;
      current = { index, plannedMs: t.stepDuration, firstInterval: mark.firstInterval };

      // Looks: every minStepDuration (default: once, at stepDuration) up to stepDuration, then
      // extensions of the same length up to maxStepDuration. Each look spends the part of the
      // step's budgets (spending.ts) its canary samples release; only looks from stepDuration on
      // may pass a check.
      const budget = stepBudget(scenario, weight);
      let state = SPENDING_START;
      let elapsedMs = chunkMs;
      let looks = 0;
      let measured: StepLook | undefined;
      let verdict: StepVerdict | undefined;
      let secondsSeen = load.secondsClosed;
      for (;;) {
        // A look waits for a second closed since the previous one (rollout-load.ts untilLook).
        secondsSeen = await load.untilLook(stepStartMs + elapsedMs, secondsSeen, o.signal);
        if (o.signal?.aborted) break;
        measured = await load.look(mark);
        const finalLook = elapsedMs >= maxMs - 1;
        looks++;
        const mayPass = elapsedMs >= t.stepDuration - 1;
        const canarySamples = measured.arms.get('canary')?.counters.requests ?? 0;
        const spend = lookBudget(budget(canarySamples, measured.durationMs), state, canarySamples, mayPass, finalLook);
        state = spend.state;
        const external = o.external
          ? await o.external({
              index,
              weight,
              windowMs: performance.now() - appliedAtMs,
              ...(o.signal ? { signal: o.signal } : {}),
            })
          : undefined;
        const baseline = liveOrPooledBaseline(scenario, weight, measured, pool);
        const judged = judge(
          scenario,
          measured,
          baseline,
          o.stored?.(index),
          spend,
          mayPass,
          finalLook,
          external,
          security?.judged,
        );
        // The baseline's findings are shown beside the canary's, never scored.
        verdict = security ? { ...judged, checks: [...judged.checks, ...security.reported] } : judged;
        if (verdict.decision !== 'extend' || o.signal?.aborted || finalLook) break;
        emit({ type: 'verdict', index, verdict, extensions: looks - 1 });
        const next =
          elapsedMs < t.stepDuration
            ? Math.min(chunkMs, t.stepDuration - elapsedMs)
            : Math.min(t.stepDuration, maxMs - elapsedMs);
        elapsedMs += next;
        current = { ...current, plannedMs: elapsedMs };
      }
      load.endStep(mark);
      // A look always ran unless the signal aborted the step first.
      if (o.signal?.aborted || !measured || !verdict) break;
      const last = measured;
      const stepVerdict = verdict;
      const extensions = looks - 1;
      emit({ type: 'verdict', index, verdict: stepVerdict, extensions });
      steps.push(
        stepResult(
          index,
          weight,
          last,
          stepStartMs - runStartMs,
          extensions,
          stepVerdict,
          scenario.tracing?.urlTemplate,
        ),
      );
      const baselineArm = last.arms.get('baseline');
      if (baselineArm && baselineArm.counters.requests > 0 && weight < 100) {
        pool.push({
          step: index + 1,
          arm: judgeArm(baselineArm, last.durationMs, last.windows.get('baseline')),
          ...(stepVerdict.excluded ? { excluded: stepVerdict.excluded } : {}),
        });
      }
      if (stepVerdict.decision === 'rollback') {
        decision = 'rollback';
        reason = `step ${index + 1} (${weight}%): ${stepVerdict.reason}`;
        break;
      }
    }
    if (o.signal?.aborted) ({ decision, reason } = abortedBy(o.signal.reason));
    else if (decision === 'promote') reason = `all ${scenario.steps.length} steps passed`;
  } catch (error) {
    // A router change cut short by the signal fails too: the signal, not its echo, is the reason.
    if (o.signal?.aborted) ({ decision, reason } = abortedBy(o.signal.reason));
    else {
      decision = 'aborted';
      reason = error instanceof Error ? error.message : String(error);
    }
  }
  // Stop issuing before the router is reset; requests in flight finish within the timeout.
  const stopped = load?.stop().catch(() => undefined);

  try {
    if (decision !== 'promote') {
      emit({ type: 'reset', reason });
      // The journal is best-effort here: a full disk must not stop the reset itself.
      tryAppend(journal, { event: 'reset', reason: o.redact(reason) });
      try {
        // Bounded: a router that hangs must not hold the process (and a signal's exit) forever.
        await router.reset(o.run, AbortSignal.timeout(RESET_DEADLINE_MS));
        tryAppend(journal, { event: 'reset-done' });
      } catch (error) {
        // An interruption stays one (exit 130); any other ending becomes an infrastructure abort.
        if (decision !== 'interrupted') decision = 'aborted';
        const why =
          (error as Error).cause instanceof DOMException
            ? `no success within ${RESET_DEADLINE_MS / 1000} s`
            : (error as Error).message;
        reason = `${reason}; resetting the router failed too (${why}); run canary-gate recover ${journal.path}`;
      }
    }
    const hook = decision === 'promote' ? scenario.hooks.promote : scenario.hooks.rollback;
    if (hook) await runHook(decision === 'promote' ? 'promote' : 'rollback', hook, emit);
    tryAppend(journal, { event: 'end', decision });
  } finally {
    await stopped;
    await router.close().catch(() => {});
  }
  return result(health, decision, reason);
}

/** How long a reset may take, its retries included, before the run ends without it (recover then restores it). */
export const RESET_DEADLINE_MS = 10_000;

/** The decision and reason of a run whose signal was aborted: an Error is an abort (3), anything else a signal (130). */
function abortedBy(cause: unknown): { decision: Decision; reason: string } {
  if (cause instanceof Error) return { decision: 'aborted', reason: `aborted by an error: ${cause.message}` };
  const signal = (cause as { signal?: string } | undefined)?.signal;
  return { decision: 'interrupted', reason: `interrupted${signal ? ` by ${signal}` : ''}` };
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

/**
 * The load's hard bound: every step at its longest, twice over (looks, external checks and router
 * calls take time between them), plus a minute; the rollout stops it when it ends.
 */
export function rolloutBoundMs(steps: number, maxStepMs: number, warmupMs: number): number {
  return Math.min(ENGINE_LIMITS.maxDurationMs - warmupMs, 2 * steps * maxStepMs + 60_000);
}

/**
 * The baseline a look compares with: the live arm while it carries enough traffic, else (at
 * 100 %) the baseline of every earlier step pooled, with the windows those steps left out.
 */
function liveOrPooledBaseline(
  scenario: RunScenario,
  weight: number,
  m: StepLook,
  pool: readonly PoolPart[],
): ArmStepMeasurements | undefined {
  const live = m.arms.get('baseline');
  if (weight < 100 && live && live.counters.requests >= scenario.gates.statistics.minSamples) {
    return judgeArm(live, m.durationMs, m.windows.get('baseline'));
  }
  return poolBaseline(pool);
}

function judge(
  scenario: RunScenario,
  m: StepLook,
  baseline: ArmStepMeasurements | undefined,
  stored: ArmStepMeasurements | undefined,
  spend: { alpha: number; beta: number },
  mayPass: boolean,
  finalLook: boolean,
  external: readonly ExternalCheck[] | undefined,
  decided: readonly CheckResult[] | undefined,
): StepVerdict {
  const canary = m.arms.get('canary') ?? emptyArm('canary', scenario.targets.canary.url);
  const { statistics, checks, weights, passScore } = scenario.gates;
  return judgeStep({
    canary: judgeArm(canary, m.durationMs, m.windows.get('canary')),
    ...(baseline ? { baseline } : {}),
    ...(stored ? { stored } : {}),
    ...(external ? { external } : {}),
    ...(decided ? { decided } : {}),
    checks,
    statistics,
    weights,
    passScore,
    alpha: spend.alpha,
    beta: spend.beta,
    mayPass,
    finalLook,
    timeoutMs: scenario.traffic.timeout,
  });
}

function stepResult(
  index: number,
  weight: number,
  m: StepLook,
  startedAtMs: number,
  extensions: number,
  verdict: StepVerdict,
  traceUrl: string | undefined,
): StepResult {
  const arms: StepResult['arms'] = {};
  for (const [arm, a] of m.arms) arms[arm] = encodeArm(a, traceUrl);
  return {
    index,
    weight,
    startedAtMs: Math.round(startedAtMs),
    durationMs: Math.round(m.durationMs),
    extensions,
    arms,
    intervals: m.intervals,
    verdict,
    quality: stepQuality(m, verdict),
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
