/**
 * What a session needs from the load engine and the judge, as one small interface: start a step
 * at a weight, read its verdict, wait for it, stop, hand back the measured steps. Sessions depend
 * on this, not on how the load runs, so the engine underneath can change without the HTTP
 * contract changing.
 */

import type { StepVerdict } from '../gates/verdict.js';
import type { ArmMeasurements } from '../load/recorder.js';
import type { StepResult } from '../result/run-result.js';
import type { CanaryScenario } from '../scenario/schema.js';

/** Where a step stands. */
export type StepStatus = 'measuring' | 'pass' | 'fail';

/** One step of a session as the controller sees it. */
export interface StepReport {
  /** Index in the session's plan (0-based). */
  index: number;
  /** Canary weight, percent. */
  weight: number;
  /** measuring until the judge decides; then pass or fail, and it stays so. */
  status: StepStatus;
  /** The latest verdict, once a look was judged. */
  verdict?: StepVerdict;
  /** Looks judged so far. */
  looks: number;
}

/** A step as it ends up in the result, with its canary arm for a stored baseline. */
export interface MeasuredStep {
  result: StepResult;
  canary?: ArmMeasurements;
}

/** Runs a session's load and judges its steps. */
export interface SessionRunner {
  /** Start step `index` at `weight`: the previous step's measuring stops and is kept. */
  startStep(index: number, weight: number): void;
  /** The current step, or undefined before the first. */
  current(): StepReport | undefined;
  /** Resolves when the current step is decided, or with its state so far when `signal` aborts. */
  decided(signal: AbortSignal): Promise<StepReport | undefined>;
  /** Stop every request this session sends; resolves when none is in flight. Idempotent. */
  stop(): Promise<void>;
  /** Every step measured so far, in order. */
  steps(): MeasuredStep[];
}

/** What a runner tells its session as it goes. */
export interface RunnerHooks {
  /** The session's probe load starts (counted, so a test can see that 200 calls started one load). */
  onLoadStart: () => void;
  /** A step was decided: journal it before anyone is answered from it. */
  onDecided: (report: StepReport) => void;
}

/** Makes a runner for one session of an app. */
export type SessionRunnerFactory = (scenario: CanaryScenario, hooks: RunnerHooks) => SessionRunner;
