/**
 * canary-gate's public library API: what the CLI itself uses, for programs that embed it. Each
 * command is one call here (a session or a domain function) between loading a scenario and
 * printing a result.
 */

// One arm's measurements in one step, and its judge and stored forms.
export {
  type ArmMeasurements,
  type ArmStepMeasurements,
  decodeArm,
  emptyArm,
  encodeArm,
  judgeArm,
  type StoredArm,
} from './arm/arm.js';
// Stored baselines: record, read, compare.
export { compareWithBaseline } from './baseline/compare.js';
export { type Baseline, type BaselineFile, BaselineFormatError, decodeBaseline } from './baseline/format.js';
export { recordBaseline } from './baseline/record.js';
// Staged canaries: the driver and its routers.
export { type CanaryRunOptions, type DriverEvent, runCanary } from './canary/driver.js';
export { createRouter } from './canary/routers/create-router.js';
export type { ArmMeasurer, Router, WeightChange } from './canary/routers/router.js';
// Capacity searches.
export { type CapacitySearchOptions, probeTarget, searchCapacity } from './capacity/driver.js';
export { findKnee, type Knee } from './capacity/knee.js';
export { type CapacityPlan, capacityPlan } from './capacity/plan.js';
export {
  type CapacityResult,
  type CapacityStep,
  type CapacityTargetResult,
  compareCapacity,
} from './capacity/result.js';
export { runCapacity } from './capacity/run.js';
export { classifySaturation, type Saturation } from './capacity/saturation.js';
export { advanceSearch, type SearchConfig, type SearchState, startSearch } from './capacity/search.js';
// Demo services and the demo run.
export { type DemoOptions, runDemo } from './demo/run.js';
export { type DemoServiceOptions, type RunningService, startDemoService } from './demo/service.js';
export { startDemoServiceThread } from './demo/service-thread.js';
export {
  BuildError,
  CanaryGateError,
  type ErrorCode,
  RouterError,
  ScenarioError,
  TargetError,
  UsageError,
} from './errors.js';
// The one exit-code table.
export {
  capacityExitCode,
  DECISION_EXIT,
  type Decision,
  EXIT,
  EXIT_CODES_HELP,
  EXIT_TABLE,
  exitCodeFor,
  VERDICT_EXIT,
} from './exit-codes.js';
// The judge.
export { type ExternalCheck, type JudgeInput, judgeStep } from './gates/judge.js';
export type { CheckResult, StepVerdict } from './gates/verdict.js';
// HDR histograms.
export {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  type LatencySpectrumMs,
  mergeHistograms,
  spectrumMs,
} from './hdr/histogram.js';
// The load engine.
export { type LoadProgress, type LoadResult, type RunLoadOptions, runLoad } from './load/engine.js';
export { ERROR_CLASSES, type ErrorClass } from './load/error-class.js';
export type { IntervalPoint } from './load/interval-series.js';
export {
  type LoadModel,
  type LoadPlan,
  modelOf,
  planProblems,
  type RequestSpec,
  type TargetSpec,
} from './load/plan.js';
export { scenarioLoadPlan } from './load/scenario-plan.js';
// Regression runs of two builds.
export { type RegressEvent, type RegressRunOptions, runRegress } from './regress/runner.js';
// Reports.
export { renderCapacityHtml } from './report/capacity-html.js';
export { renderCapacityMarkdown } from './report/capacity-markdown.js';
export { renderHtml } from './report/html.js';
export { renderJUnit } from './report/junit.js';
export { type LoadSummary, renderLoadSummary, summarizeLoad } from './report/load-summary.js';
export { renderMarkdown } from './report/markdown.js';
// Results.
export type { HealthResult, RunResult, StepResult } from './result/run-result.js';
// Scenarios.
export { describePlan, renderPlan } from './scenario/describe-plan.js';
export { scenarioJsonSchema } from './scenario/json-schema.js';
export { type LoadedScenario, loadScenario, validateScenario } from './scenario/loader.js';
export { MODES, type Mode } from './scenario/modes.js';
export {
  type CanaryScenario,
  type CapacityScenario,
  type RegressionScenario,
  type RegressScenario,
  type RunScenario,
  type Scenario,
  ScenarioSchema,
} from './scenario/schema.js';
export { interpolateEnv, Redactor } from './scenario/secrets.js';
export { evaluateSlo, type Slo, sloOrProblems } from './scenario/slo.js';
export { parseDurationMs, parseRatePerSec } from './scenario/units.js';
export { loadServeConfig, type ServeConfig, ServeConfigSchema } from './serve/config.js';
export type { SessionRunner, SessionRunnerFactory, StepReport } from './serve/runner.js';
export { loadApps, type StartedServe, startServe } from './serve/service.js';
export { type CanarySessionOptions, type RunOutcome, runCanarySession } from './session/canary.js';
// Sessions: what run, regress and capacity do around their drivers.
export { runCapacitySession } from './session/capacity.js';
export type { RunIO } from './session/io.js';
export { RunJournal } from './session/journal.js';
export { recoverRun } from './session/recover.js';
export { runRegressSession } from './session/regress.js';
