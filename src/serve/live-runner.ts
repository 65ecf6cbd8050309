/**
 * The SessionRunner on the rollout's own continuous load (canary/rollout-load.ts) and the judge
 * that decides on evidence both ways: one load per session, started at the first step and kept
 * running — same connections, no warm-up after the first — while the controller moves the weight.
 * Each step is a mark; each look waits for a second closed since the previous one, reads the
 * exact measurements since the mark with the per-second windows and what the generator's queue
 * leaves out (as a rollout's look does), and spends the step's budgets (spending.ts lookBudget). The probe load never pauses: after a verdict it keeps the step's
 * weight until the controller moves it. At a step whose baseline arm carries too little (100 %),
 * relative checks use the pooled baseline of every earlier step of the session (pool.ts).
 */
import { performance } from 'node:perf_hooks';
import { type ArmStepMeasurements, emptyArm, encodeArm, judgeArm } from '../arm/arm.js';
import { RolloutLoad, type StepLook, type StepMark } from '../canary/rollout-load.js';
import { stepBudget } from '../canary/step-budget.js';
import { stepQuality } from '../canary/step-quality.js';
import { judgeStep } from '../gates/judge.js';
import { type PoolPart, poolBaseline } from '../gates/pool.js';
import { lookBudget, SPENDING_START, type SpendingState } from '../gates/spending.js';
import type { StepVerdict } from '../gates/verdict.js';
import { ENGINE_LIMITS } from '../load/plan.js';
import type { ArmMeasurements } from '../load/recorder.js';
import { externalSource } from '../metrics/external-checks.js';
import type { StepResult } from '../result/run-result.js';
import type { CanaryScenario } from '../scenario/schema.js';
import type { MeasuredStep, RunnerHooks, SessionRunner, SessionRunnerFactory, StepReport } from './runner.js';

/**
 * Per-second windows a session's load keeps per arm (an hour): a decided step keeps its load
 * running until the controller moves the weight, which an Argo pause can put off for hours.
 */
export const SESSION_WINDOWS_PER_ARM = 3600;

/** The longest a session's load may run when the caller gives no bound (the engine's own limit is a day). */
export const DEFAULT_LOAD_BOUND_MS = 4 * 3600_000;

/** The session's one load. */
interface LiveLoad {
  load: RolloutLoad;
  /** performance.now() when the load started. */
  startedAt: number;
  /** Set once the load has ended (its bound, a failed step, the session's stop). */
  ended: boolean;
}

interface LiveStep {
  report: StepReport;
  /** Stops this step's looks (the weight moved on, or the session stops). */
  controller: AbortController;
  /** The looks; resolves when the step is decided or cut short. */
  looks: Promise<void>;
  mark?: StepMark;
  /** The look the verdict was given on, kept as the step's record. */
  judged?: { look: StepLook; verdict: StepVerdict };
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
  /**
   * Where the generator runs: its own worker thread (default), or this thread, for a test that
   * must starve the generator with a hog on its own thread.
   */
  generatorThread?: 'worker' | 'this';
}

/** Makes continuous-load runners. */
export function liveSessionRunner(options: LiveRunnerOptions = {}): SessionRunnerFactory {
  return (scenario, hooks) => new LiveSessionRunner(scenario, hooks, options);
}

class LiveSessionRunner implements SessionRunner {
  readonly #scenario: CanaryScenario;
  readonly #hooks: RunnerHooks;
  readonly #loadBoundMs: number;
  readonly #generatorThread: LiveRunnerOptions['generatorThread'];
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
    this.#generatorThread = options.generatorThread;
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
    const live = this.#ensureLoad(weight);
    live.load.setWeight(weight);
    const step: LiveStep = {
      report: { index, weight, status: 'measuring', looks: 0 },
      controller: new AbortController(),
      looks: Promise.resolve(),
    };
    this.#current = step;
    step.looks = this.#look(step, live).finally(() => this.#notify());
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
    await this.#load?.load.stop().catch(() => undefined);
    this.#notify();
  }

  steps(): MeasuredStep[] {
    return [...this.#finished].sort((a, b) => a.result.index - b.result.index);
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /**
   * The session's one load, started at the first step's weight: the rollout's own (RolloutLoad),
   * so a look leaves out what a rollout's would (the seconds the generator fell behind in, the
   * requests outside whole seconds when its edge did, a step no second of which has closed) and
   * the generator runs on its own thread, apart from the looks.
   */
  #ensureLoad(weight: number): LiveLoad {
    if (this.#load) return this.#load;
    const load = new RolloutLoad({
      scenario: this.#scenario,
      firstWeight: weight,
      durationMs: this.#loadBoundMs,
      signal: this.#stopping.signal,
      maxWindowsPerArm: SESSION_WINDOWS_PER_ARM,
      ...(this.#generatorThread ? { generatorThread: this.#generatorThread } : {}),
    });
    const live: LiveLoad = { load, startedAt: performance.now(), ended: false };
    // A load that ends on its own (its bound) leaves the step measuring: the session's deadlines close it.
    const ended = (): void => {
      live.ended = true;
    };
    load.done.then(ended, ended);
    this.#hooks.onLoadStart();
    this.#load = live;
    return live;
  }

  async #look(step: LiveStep, live: LiveLoad): Promise<void> {
    const { load } = live;
    const { report, controller } = step;
    const signal = controller.signal;
    const t = this.#scenario.traffic;
    const { statistics, checks, weights, passScore } = this.#scenario.gates;
    const maxMs = Math.max(t.maxStepDuration ?? t.stepDuration, t.stepDuration);
    const lookEveryMs = Math.min(t.minStepDuration ?? t.stepDuration, t.stepDuration);
    // The first step starts measuring after the load's warm-up (the mark's fromMs); later steps at once.
    const mark = load.beginStep();
    step.mark = mark;
    try {
      const budget = stepBudget(this.#scenario, report.weight);
      let state: SpendingState = SPENDING_START;
      let nextLookMs = lookEveryMs;
      let seen = load.secondsClosed;
      for (;;) {
        seen = await load.untilLook(mark.fromMs + nextLookMs, seen, signal);
        if (signal.aborted) return;
        if (live.ended) {
          report.verdict = unjudged('the probe load ended (its bound) before the step was decided');
          return;
        }
        const look = await load.look(mark);
        if (signal.aborted) return;
        const mayPass = look.durationMs >= t.stepDuration - 1;
        const finalLook = look.durationMs >= maxMs - 1;
        const canary = look.arms.get('canary') ?? emptyArm('canary', this.#scenario.targets.canary.url);
        const samples = canary.counters.requests;
        const spend = lookBudget(budget(samples, look.durationMs), state, samples, mayPass, finalLook);
        state = spend.state;
        const external = this.#external
          ? await this.#external({ index: report.index, weight: report.weight, windowMs: look.durationMs, signal })
          : undefined;
        if (signal.aborted) return;
        const baseline = this.#baselineFor(look);
        const verdict = judgeStep({
          canary: judgeArm(canary, look.durationMs, look.windows.get('canary')),
          ...(baseline ? { baseline } : {}),
          ...(external ? { external } : {}),
          checks,
          statistics,
          weights,
          passScore,
          alpha: spend.alpha,
          beta: spend.beta,
          mayPass,
          finalLook,
          timeoutMs: t.timeout,
        });
        report.looks++;
        report.verdict = verdict;
        step.verdict = verdict;
        if (verdict.decision !== 'extend') {
          step.judged = { look, verdict };
          report.status = verdict.decision === 'rollback' ? 'fail' : 'pass';
          this.#hooks.onDecided(report);
          // A failed step stays failed and the controller rolls back next: probing the canary
          // further only loads it. A passed step keeps its load, so the next weight starts warm.
          if (report.status === 'fail') this.#stopLoad(step);
          return;
        }
        this.#notify();
        nextLookMs = Math.min(maxMs, nextLookMs + (look.durationMs < t.stepDuration ? lookEveryMs : t.stepDuration));
      }
    } catch (error) {
      // Cut short (the weight moved, the session stops) or the load ended under it: nothing to judge.
      if (signal.aborted || this.#stopped) return;
      report.verdict = unjudged(`the load could not be read: ${(error as Error).message}`);
    }
  }

  /** The live baseline when it carries enough, else the earlier steps' baselines pooled. */
  #baselineFor(look: StepLook): ArmStepMeasurements | undefined {
    const { minSamples } = this.#scenario.gates.statistics;
    const arm = look.arms.get('baseline');
    if (arm && arm.counters.requests >= minSamples) {
      return judgeArm(arm, look.durationMs, look.windows.get('baseline'));
    }
    return poolBaseline(this.#pool);
  }

  /**
   * Record a step that ends (the weight moves on, or the session stops): the look its verdict was
   * given on, or, when it was never decided, what it measured until now. Its baseline arm joins
   * the pool for a later step without a live baseline.
   */
  #closeStep(step: LiveStep): void {
    if (step.closed) return;
    step.closed = true;
    const live = this.#load;
    const mark = step.mark;
    if (!live || !mark) {
      this.#record(step, undefined, 0);
      return;
    }
    // Called before the next step's mark: look() reads the step's seconds now, before that drops them.
    const reading: Promise<StepLook | undefined> = step.judged
      ? Promise.resolve(step.judged.look)
      : live.load.look(mark).catch(() => undefined);
    this.#recording = this.#recording.then(async () => {
      const look = await reading;
      await step.looks;
      this.#record(step, look, mark.fromMs - live.startedAt);
      live.load.endStep(mark);
    });
  }

  /** Record `step` and stop the load under it; a later step starts a new one. */
  #stopLoad(step: LiveStep): void {
    this.#closeStep(step);
    const live = this.#load;
    this.#load = undefined;
    if (live) this.#recording = this.#recording.then(async () => void (await live.load.stop().catch(() => undefined)));
  }

  #record(step: LiveStep, look: StepLook | undefined, startedAtMs: number): void {
    const { report } = step;
    const verdict =
      step.judged?.verdict ?? step.verdict ?? unjudged('not judged: the weight moved on before the first look');
    const arms: StepResult['arms'] = {};
    let canary: ArmMeasurements | undefined;
    for (const [name, a] of look?.arms ?? []) {
      arms[name] = encodeArm(a, this.#scenario.tracing?.urlTemplate);
      if (name === 'canary') canary = a;
      if (name === 'baseline' && a.counters.requests > 0 && look) {
        this.#pool.push({
          step: report.index + 1,
          arm: judgeArm(a, look.durationMs, look.windows.get('baseline')),
          ...(verdict.excluded ? { excluded: verdict.excluded } : {}),
        });
      }
    }
    this.#finished.push({
      result: {
        index: report.index,
        weight: report.weight,
        startedAtMs: Math.round(startedAtMs),
        durationMs: Math.round(look?.durationMs ?? 0),
        extensions: Math.max(0, report.looks - 1),
        arms,
        intervals: look?.intervals ?? {},
        verdict,
        ...(look ? { quality: stepQuality(look, verdict) } : {}),
      },
      ...(canary ? { canary } : {}),
    });
  }
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
