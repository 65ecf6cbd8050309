/**
 * The SessionRunner on the engine's continuous load (#15 startLoad) and the judge that decides on
 * evidence both ways (#16): one load per session, started at the first step and kept running —
 * same connections, no warm-up after the first — while the controller moves the weight
 * (setWeights). Each step is a mark; each look reads the exact measurements since it, with the
 * per-second windows (generator-limited ones marked), and spends the step's budgets
 * (spending.ts lookBudget). The probe load never pauses: after a verdict it keeps the step's
 * weight until the controller moves it. At a step whose baseline arm carries too little (100 %),
 * relative checks use the pooled baseline of every earlier step of the session (pool.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { emptyArm, encodeArm, judgeArm } from '../arm/arm.js';
import { type ArmStepMeasurements, DEFAULT_BETA, judgeStep } from '../gates/judge.js';
import { type PoolPart, poolBaseline } from '../gates/pool.js';
import {
  lookBudget,
  plannedStepSamples,
  SPENDING_START,
  type SpendingState,
  type StepBudget,
  stepAlpha,
} from '../gates/spending.js';
import type { StepVerdict } from '../gates/verdict.js';
import type { ArmWindow } from '../gates/windows.js';
import { type LoadHandle, type LoadMark, type LoadWindow, startLoad } from '../load/engine.js';
import type { IntervalPoint } from '../load/interval-series.js';
import { ENGINE_LIMITS, type LoadPlan } from '../load/plan.js';
import type { ArmMeasurements } from '../load/recorder.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import { externalSource } from '../metrics/external-checks.js';
import type { StepResult } from '../result/run-result.js';
import type { CanaryScenario } from '../scenario/schema.js';
import type { MeasuredStep, RunnerHooks, SessionRunner, SessionRunnerFactory, StepReport } from './runner.js';
import { WindowCollector } from './windows.js';

/** The longest a session's load may run when the caller gives no bound (the engine's own limit is a day). */
export const DEFAULT_LOAD_BOUND_MS = 4 * 3600_000;

/** The session's one load and its windows. */
interface LiveLoad {
  handle: LoadHandle;
  windows: WindowCollector;
  /** Where measuring starts on the load's clock (after the warm-up), ms. */
  measuringFromMs: number;
  /** performance.now() when the load started. */
  startedAt: number;
}

interface LiveStep {
  report: StepReport;
  /** Stops this step's looks (the weight moved on, or the session stops). */
  controller: AbortController;
  /** The looks; resolves when the step is decided or cut short. */
  looks: Promise<void>;
  mark?: LoadMark;
  /** The measurement the verdict was given on, kept as the step's record. */
  judged?: { window: LoadWindow; windows: Map<string, ArmWindow[]>; verdict: StepVerdict; endMs: number };
  verdict?: StepVerdict;
  /** Recorded already (a step is recorded once). */
  closed?: boolean;
}

/** How a continuous-load runner is made. */
export interface LiveRunnerOptions {
  /** Bound of the session's one load, ms (serve: maxSessionDuration). */
  loadBoundMs?: number;
  /** Baseline arms of earlier steps measured elsewhere (judge --step --session), for the pooled baseline. */
  pool?: readonly PoolPart[];
}

/** Makes continuous-load runners. */
export function liveSessionRunner(options: LiveRunnerOptions = {}): SessionRunnerFactory {
  return (scenario, hooks) => new LiveSessionRunner(scenario, hooks, options);
}

class LiveSessionRunner implements SessionRunner {
  readonly #scenario: CanaryScenario;
  readonly #hooks: RunnerHooks;
  readonly #loadBoundMs: number;
  readonly #external;
  readonly #finished: MeasuredStep[] = [];
  readonly #pool: PoolPart[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #stopping = new AbortController();
  #load: LiveLoad | undefined;
  #current: LiveStep | undefined;
  /** Steps being recorded (their last measurement read), in order. */
  #recording: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(scenario: CanaryScenario, hooks: RunnerHooks, options: LiveRunnerOptions) {
    this.#scenario = scenario;
    this.#hooks = hooks;
    // The engine refuses a load longer than a day with its warm-up.
    this.#loadBoundMs = Math.min(
      options.loadBoundMs ?? DEFAULT_LOAD_BOUND_MS,
      ENGINE_LIMITS.maxDurationMs - scenario.traffic.warmup,
    );
    this.#pool.push(...(options.pool ?? []));
    this.#external = externalSource(scenario);
  }

  startStep(index: number, weight: number): void {
    if (this.#stopped) return;
    const previous = this.#current;
    if (previous) {
      previous.controller.abort();
      // Read where the previous step stands before its weight changes.
      this.#closeStep(previous);
    }
    const load = this.#ensureLoad(weight);
    if (previous) load.handle.setWeights(this.#weights(weight));
    const step: LiveStep = {
      report: { index, weight, status: 'measuring', looks: 0 },
      controller: new AbortController(),
      looks: Promise.resolve(),
    };
    this.#current = step;
    step.looks = this.#look(step).finally(() => this.#notify());
    this.#notify();
  }

  current(): StepReport | undefined {
    return this.#current?.report;
  }

  decided(signal: AbortSignal): Promise<StepReport | undefined> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const report = this.#current?.report;
        if (signal.aborted || this.#stopped || report === undefined || report.status !== 'measuring') {
          this.#waiters.delete(waiter);
          signal.removeEventListener('abort', waiter);
          resolve(report);
          return true;
        }
        return false;
      };
      const waiter = (): void => {
        check();
      };
      if (check()) return;
      this.#waiters.add(waiter);
      signal.addEventListener('abort', waiter, { once: true });
    });
  }

  async stop(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#stopping.abort();
      const step = this.#current;
      if (step) {
        step.controller.abort();
        this.#closeStep(step);
      }
    }
    await this.#recording;
    await this.#current?.looks;
    await this.#load?.handle.stop();
    this.#notify();
  }

  steps(): MeasuredStep[] {
    return [...this.#finished].sort((a, b) => a.result.index - b.result.index);
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #weights(weight: number): Record<string, number> {
    return this.#scenario.targets.baseline ? { baseline: 100 - weight, canary: weight } : { canary: 100 };
  }

  /** The session's one load, started at the first step's weight. */
  #ensureLoad(weight: number): LiveLoad {
    if (this.#load) return this.#load;
    const s = this.#scenario;
    const weights = this.#weights(weight);
    const targets: LoadPlan['targets'] = [{ arm: 'canary', url: s.targets.canary.url, weight: weights.canary ?? 100 }];
    if (s.targets.baseline)
      targets.unshift({ arm: 'baseline', url: s.targets.baseline.url, weight: weights.baseline ?? 0 });
    const warmupMs = s.traffic.warmup;
    const windows = new WindowCollector(warmupMs);
    const handle = startLoad(scenarioLoadPlan(s, targets, this.#loadBoundMs, warmupMs), {
      signal: this.#stopping.signal,
      onProgress: (p) => windows.add(p),
    });
    // A load that ends on its own (its bound) leaves the step measuring: the session's deadlines close it.
    handle.done.catch(() => undefined);
    this.#hooks.onLoadStart();
    this.#load = { handle, windows, measuringFromMs: warmupMs, startedAt: performance.now() };
    return this.#load;
  }

  async #look(step: LiveStep): Promise<void> {
    const load = this.#load;
    if (!load) return;
    const { report, controller } = step;
    const signal = controller.signal;
    const t = this.#scenario.traffic;
    const { statistics, checks, weights, passScore } = this.#scenario.gates;
    const maxMs = Math.max(t.maxStepDuration ?? t.stepDuration, t.stepDuration);
    const lookEveryMs = Math.min(t.minStepDuration ?? t.stepDuration, t.stepDuration);
    try {
      // The first step starts measuring after the load's warm-up; later steps at once.
      const warm = load.measuringFromMs - (performance.now() - load.startedAt);
      if (warm > 0) await sleep(warm, undefined, { signal });
      step.mark = load.handle.mark();
      const rate = t.rate;
      const budget = (canaryPerSec: number): StepBudget => ({
        alpha: stepAlpha(statistics.alpha, this.#scenario.steps.length),
        // statistics.beta joins the schema with #16 phase 2; until then the judge's default.
        beta: (statistics as { beta?: number }).beta ?? DEFAULT_BETA,
        plannedSamples: Math.max(1, plannedStepSamples(canaryPerSec, report.weight, t.stepDuration).canary),
        maxSamples: Math.max(1, plannedStepSamples(canaryPerSec, report.weight, maxMs).canary),
      });
      let state: SpendingState = SPENDING_START;
      let nextLookMs = lookEveryMs;
      for (;;) {
        const waitMs = nextLookMs - (performance.now() - load.startedAt - step.mark.atMs);
        if (waitMs > 0) await sleep(waitMs, undefined, { signal });
        const window = await load.handle.measurementsSince(step.mark);
        if (signal.aborted) return;
        const endMs = step.mark.atMs + window.durationMs;
        const mayPass = window.durationMs >= t.stepDuration - 1;
        const finalLook = window.durationMs >= maxMs - 1;
        const arms = new Map(window.arms.map((a) => [a.arm, a]));
        const windows = new Map(
          window.arms.map((a) => [a.arm, load.windows.between(a.arm, step.mark?.atMs ?? 0, endMs)]),
        );
        const canary = arms.get('canary') ?? emptyArm('canary', this.#scenario.targets.canary.url);
        // A closed-model scenario has no rate: plan the step's samples at the rate it runs at.
        const perSec = rate ?? (window.total.counters.requests / Math.max(1, window.durationMs)) * 1000;
        const look = lookBudget(budget(perSec), state, canary.counters.requests, mayPass, finalLook);
        state = look.state;
        const external = this.#external
          ? await this.#external({ index: report.index, weight: report.weight, windowMs: window.durationMs, signal })
          : undefined;
        if (signal.aborted) return;
        const baseline = this.#baselineFor(arms.get('baseline'), windows.get('baseline'), window.durationMs);
        const verdict = judgeStep({
          canary: withWindows(judgeArm(canary, window.durationMs), windows.get('canary')),
          ...(baseline ? { baseline } : {}),
          ...(external ? { external } : {}),
          checks,
          statistics,
          weights,
          passScore,
          alpha: look.alpha,
          beta: look.beta,
          mayPass,
          finalLook,
          timeoutMs: t.timeout,
        });
        report.looks++;
        report.verdict = verdict;
        step.verdict = verdict;
        if (verdict.decision !== 'extend') {
          step.judged = { window, windows, verdict, endMs };
          report.status = verdict.decision === 'rollback' ? 'fail' : 'pass';
          this.#hooks.onDecided(report);
          // A failed step stays failed and the controller rolls back next: probing the canary
          // further only loads it. A passed step keeps its load, so the next weight starts warm.
          if (report.status === 'fail') this.#stopLoad(step);
          return;
        }
        this.#notify();
        nextLookMs = Math.min(maxMs, nextLookMs + (window.durationMs < t.stepDuration ? lookEveryMs : t.stepDuration));
      }
    } catch (error) {
      // Cut short (the weight moved, the session stops) or the load ended under it: nothing to judge.
      if (signal.aborted || this.#stopped) return;
      report.verdict = unjudged(`the load could not be read: ${(error as Error).message}`);
    }
  }

  /** The live baseline when it carries enough, else the earlier steps' baselines pooled. */
  #baselineFor(
    arm: ArmMeasurements | undefined,
    windows: ArmWindow[] | undefined,
    durationMs: number,
  ): ArmStepMeasurements | undefined {
    const { minSamples } = this.#scenario.gates.statistics;
    if (arm && arm.counters.requests >= minSamples) return withWindows(judgeArm(arm, durationMs), windows);
    return poolBaseline(this.#pool);
  }

  /**
   * Record a step that ends (the weight moves on, or the session stops): the measurement its
   * verdict was given on, or, when it was never decided, what it measured until now. Its
   * baseline arm joins the pool for a later step without a live baseline.
   */
  #closeStep(step: LiveStep): void {
    if (step.closed) return;
    step.closed = true;
    const load = this.#load;
    const mark = step.mark;
    if (!load || !mark) {
      this.#record(step, undefined);
      return;
    }
    const judged = step.judged;
    const reading = judged
      ? Promise.resolve(judged)
      : load.handle
          .measurementsSince(mark)
          .then((window) => {
            const endMs = mark.atMs + window.durationMs;
            const windows = new Map(window.arms.map((a) => [a.arm, load.windows.between(a.arm, mark.atMs, endMs)]));
            return { window, windows, verdict: step.verdict, endMs };
          })
          .catch(() => undefined);
    this.#recording = this.#recording.then(async () => {
      const measured = await reading;
      await step.looks;
      this.#record(step, measured);
      load.handle.forget(mark);
      load.windows.dropBefore(measured?.endMs ?? mark.atMs);
    });
  }

  /** Record `step` and stop the load under it; a later step starts a new one. */
  #stopLoad(step: LiveStep): void {
    this.#closeStep(step);
    const load = this.#load;
    this.#load = undefined;
    if (load) this.#recording = this.#recording.then(async () => void (await load.handle.stop()));
  }

  #record(
    step: LiveStep,
    measured: { window: LoadWindow; windows: Map<string, ArmWindow[]>; endMs: number } | undefined,
  ): void {
    const { report } = step;
    const verdict =
      step.judged?.verdict ?? step.verdict ?? unjudged('not judged: the weight moved on before the first look');
    const arms: StepResult['arms'] = {};
    let canary: ArmMeasurements | undefined;
    const durationMs = measured?.window.durationMs ?? 0;
    for (const a of measured?.window.arms ?? []) {
      arms[a.arm] = encodeArm(a, this.#scenario.tracing?.urlTemplate);
      if (a.arm === 'canary') canary = a;
      if (a.arm === 'baseline' && a.counters.requests > 0) {
        this.#pool.push({
          step: report.index + 1,
          arm: withWindows(judgeArm(a, durationMs), measured?.windows.get('baseline')),
          ...(verdict.excluded ? { excluded: verdict.excluded } : {}),
        });
      }
    }
    const startedAtMs = step.mark?.atMs ?? 0;
    this.#finished.push({
      result: {
        index: report.index,
        weight: report.weight,
        startedAtMs: Math.round(startedAtMs),
        durationMs: Math.round(durationMs),
        extensions: Math.max(0, report.looks - 1),
        arms,
        intervals: measured ? this.#intervals(startedAtMs, measured.endMs) : {},
        verdict,
      },
      ...(canary ? { canary } : {}),
    });
  }

  /** The per-second points of [fromMs, toMs) on the load's clock, ms from the step's start. */
  #intervals(fromMs: number, toMs: number): Record<string, IntervalPoint[]> {
    const load = this.#load;
    if (!load) return {};
    const out: Record<string, IntervalPoint[]> = {};
    const offset = load.measuringFromMs;
    for (const [arm, points] of Object.entries(load.handle.intervals().arms)) {
      out[arm] = points
        .filter((p) => p.startMs + offset >= fromMs - 1 && p.startMs + offset < toMs)
        .map((p) => ({ ...p, startMs: Math.round(p.startMs + offset - fromMs) }));
    }
    return out;
  }
}

/** The judge's arm with its windows, when there are any. */
function withWindows(arm: ArmStepMeasurements, windows: ArmWindow[] | undefined): ArmStepMeasurements {
  return windows && windows.length > 0 ? { ...arm, windows } : arm;
}

/** The verdict stored for a step that was never judged. */
function unjudged(reason: string): StepVerdict {
  return {
    decision: 'extend',
    checks: [],
    score: { groups: [], score: 0, bestPossible: 10, go: false },
    alpha: 0,
    reason,
  };
}
