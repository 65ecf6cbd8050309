/**
 * A SessionRunner on today's engine and judge: each look of a step is one `runLoad` stretch to
 * both arms in the step's proportions, merged with the step's earlier stretches and judged with
 * `judgeStep`, with the false-rollback budget spent over the looks as the rollout driver spends it.
 * A new step (the controller moved the weight) aborts the running stretch; its requests stop.
 */
import { performance } from 'node:perf_hooks';
import { encodeArm, judgeArm } from '../arm/arm.js';
import { combine, judge, type StepMeasurement } from '../canary/driver.js';
import { lookAlpha } from '../gates/alpha-spending.js';
import type { ArmStepMeasurements } from '../gates/judge.js';
import type { StepVerdict } from '../gates/verdict.js';
import { runLoad } from '../load/engine.js';
import type { LoadPlan } from '../load/plan.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import { externalSource } from '../metrics/external-checks.js';
import type { StepResult } from '../result/run-result.js';
import type { CanaryScenario } from '../scenario/schema.js';
import type { MeasuredStep, RunnerHooks, SessionRunner, SessionRunnerFactory, StepReport } from './runner.js';

interface RunningStep {
  report: StepReport;
  controller: AbortController;
  done: Promise<void>;
}

/** The Stage-A runner: runLoad stretches and judgeStep. */
export const loadSessionRunner: SessionRunnerFactory = (scenario, hooks) => new LoadSessionRunner(scenario, hooks);

class LoadSessionRunner implements SessionRunner {
  readonly #scenario: CanaryScenario;
  readonly #hooks: RunnerHooks;
  readonly #startMs = performance.now();
  readonly #finished: MeasuredStep[] = [];
  readonly #external;
  #current: RunningStep | undefined;
  #waiters = new Set<() => void>();
  #lastBaseline: ArmStepMeasurements | undefined;
  #stopped = false;

  constructor(scenario: CanaryScenario, hooks: RunnerHooks) {
    this.#scenario = scenario;
    this.#hooks = hooks;
    this.#external = externalSource(scenario);
  }

  startStep(index: number, weight: number): void {
    if (this.#stopped) return;
    this.#current?.controller.abort();
    const report: StepReport = { index, weight, status: 'measuring', looks: 0 };
    const controller = new AbortController();
    const step: RunningStep = { report, controller, done: Promise.resolve() };
    step.done = this.#measureStep(step).finally(() => this.#notify());
    this.#current = step;
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
    this.#stopped = true;
    const step = this.#current;
    step?.controller.abort();
    await step?.done;
    this.#notify();
  }

  steps(): MeasuredStep[] {
    return [...this.#finished].sort((a, b) => a.result.index - b.result.index);
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  async #measureStep(step: RunningStep): Promise<void> {
    const { report, controller } = step;
    const signal = controller.signal;
    const t = this.#scenario.traffic;
    const maxMs = Math.max(t.maxStepDuration ?? t.stepDuration, t.stepDuration);
    const chunkMs = Math.min(t.minStepDuration ?? t.stepDuration, t.stepDuration);
    const stepAlpha = this.#scenario.gates.statistics.alpha / this.#scenario.steps.length;
    const appliedAtMs = performance.now();
    let measured: StepMeasurement | undefined;
    let elapsedMs = 0;
    let spentUntil = 0;
    let verdict: StepVerdict | undefined;
    try {
      while (!signal.aborted && elapsedMs < maxMs - 1) {
        const next =
          elapsedMs < t.stepDuration
            ? Math.min(chunkMs, t.stepDuration - elapsedMs)
            : Math.min(t.stepDuration, maxMs - elapsedMs);
        this.#hooks.onLoadStart();
        const part = await this.#measure(report.weight, next, elapsedMs === 0 ? t.warmup : 0, signal);
        measured = measured ? combine(measured, part) : part;
        // A stretch cut short by the next step is kept in the record but never judged.
        if (signal.aborted) break;
        elapsedMs += next;
        const fraction = elapsedMs / maxMs;
        const alpha = lookAlpha(stepAlpha, spentUntil, fraction);
        spentUntil = fraction;
        const external = this.#external
          ? await this.#external({
              index: report.index,
              weight: report.weight,
              windowMs: performance.now() - appliedAtMs,
              signal,
            })
          : undefined;
        verdict = judge(
          this.#scenario,
          measured,
          this.#lastBaseline,
          undefined,
          alpha,
          elapsedMs >= t.stepDuration - 1,
          elapsedMs >= maxMs - 1,
          external,
        );
        report.looks++;
        report.verdict = verdict;
        if (verdict.decision !== 'extend') {
          report.status = verdict.decision === 'rollback' ? 'fail' : 'pass';
          this.#hooks.onDecided(report);
          break;
        }
        this.#notify();
      }
    } finally {
      if (measured) this.#record(report, measured, verdict);
    }
  }

  async #measure(weight: number, durationMs: number, warmupMs: number, signal: AbortSignal): Promise<StepMeasurement> {
    const s = this.#scenario;
    const targets: LoadPlan['targets'] = [];
    if (s.targets.baseline && weight < 100)
      targets.push({ arm: 'baseline', url: s.targets.baseline.url, weight: 100 - weight });
    if (weight > 0) targets.push({ arm: 'canary', url: s.targets.canary.url, weight });
    const startedAtMs = performance.now() - this.#startMs + warmupMs;
    const result = await runLoad(scenarioLoadPlan(s, targets, durationMs, warmupMs), { signal });
    return {
      arms: new Map(result.arms.map((m) => [m.arm, m])),
      durationMs: result.sendWindowMs,
      intervals: result.intervals,
      startedAtMs,
    };
  }

  #record(report: StepReport, m: StepMeasurement, verdict: StepVerdict | undefined): void {
    const baseline = m.arms.get('baseline');
    if (baseline && baseline.counters.requests >= this.#scenario.gates.statistics.minSamples)
      this.#lastBaseline = judgeArm(baseline, m.durationMs);
    const arms: StepResult['arms'] = {};
    for (const [arm, a] of m.arms) arms[arm] = encodeArm(a, this.#scenario.tracing?.urlTemplate);
    const canary = m.arms.get('canary');
    this.#finished.push({
      result: {
        index: report.index,
        weight: report.weight,
        startedAtMs: Math.round(m.startedAtMs),
        durationMs: Math.round(m.durationMs),
        extensions: Math.max(0, report.looks - 1),
        arms,
        intervals: m.intervals,
        verdict: verdict ?? unjudged(),
      },
      ...(canary ? { canary } : {}),
    });
  }
}

/** The verdict stored for a step the controller moved on from before its first look. */
function unjudged(): StepVerdict {
  return {
    decision: 'extend',
    checks: [],
    score: { groups: [], score: 0, bestPossible: 10, go: false },
    alpha: 0,
    reason: 'not judged: the weight moved on before the first look',
  };
}
