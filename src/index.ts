/** canary-gate's public library API: what the CLI uses, for programs that embed it. */

export { type CapacitySearchOptions, probeTarget, searchCapacity } from './capacity/driver.js';
export { findKnee, type Knee } from './capacity/knee.js';
export {
  type CapacityResult,
  type CapacityStep,
  type CapacityTargetResult,
  compareCapacity,
} from './capacity/result.js';
export { classifySaturation, type Saturation } from './capacity/saturation.js';
export { advanceSearch, type SearchConfig, type SearchState, startSearch } from './capacity/search.js';
export { type DemoServiceOptions, type RunningService, startDemoService } from './demo/service.js';
export { startDemoServiceThread } from './demo/service-thread.js';
export { CanaryGateError, type ErrorCode, ScenarioError, TargetError, UsageError } from './errors.js';
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
export {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  type LatencySpectrumMs,
  mergeHistograms,
  spectrumMs,
} from './metrics/hdr.js';
export { renderCapacityHtml } from './report/capacity-html.js';
export { renderCapacityMarkdown } from './report/capacity-markdown.js';
export { type LoadSummary, renderLoadSummary, summarizeLoad } from './report/load-summary.js';
export { interpolateEnv, Redactor } from './scenario/secrets.js';
export { evaluateSlo, type Slo, sloOrProblems } from './scenario/slo.js';
export { parseDurationMs, parseRatePerSec } from './scenario/units.js';
export { loadServeConfig, type ServeConfig, ServeConfigSchema } from './serve/config.js';
export type { SessionRunner, SessionRunnerFactory, StepReport } from './serve/runner.js';
export { loadApps, type StartedServe, startServe } from './serve/service.js';
