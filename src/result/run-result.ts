/**
 * RunResult: the versioned JSON record of a canary run. Reports render it and nothing else;
 * baselines are recorded from it.
 */
import { cpus, hostname } from 'node:os';
import type { HealthResult } from '../canary/preflight.js';
import type { StepVerdict } from '../gates/verdict.js';
import { encodeHistogram, spectrumMs } from '../hdr/histogram.js';
import type { IntervalPoint } from '../load/interval-series.js';
import type { ArmMeasurements } from '../load/recorder.js';
import type { TracedRequest } from '../load/trace-context.js';

/** Version of the RunResult shape. */
export const RUN_RESULT_SCHEMA_VERSION = 1;

/** How a run ended. */
export type Decision = 'promote' | 'rollback' | 'aborted' | 'interrupted';

/** Exit code of each decision (DESIGN.md's CLI contract), for `run` and `regress` alike. */
export const DECISION_EXIT: Record<Decision, number> = { promote: 0, rollback: 1, aborted: 3, interrupted: 130 };

/** One arm of one step. */
export interface StepArm {
  url: string;
  requests: number;
  errors: number;
  /** 429 responses among the errors. */
  throttled: number;
  errorsByClass: Record<string, number>;
  latencyMs: Record<string, number>;
  /** HdrHistogram compressed base64, µs. */
  histogram: string;
  /** Per endpoint of the mix: counts and histogram. */
  endpoints: Record<string, { requests: number; errors: number; throttled: number; histogram: string }>;
  /** The slowest traced requests, slowest first, with a link when tracing.urlTemplate is set. */
  slowest?: (TracedRequest & { url?: string })[];
}

/** One step of the run. */
export interface StepResult {
  index: number;
  weight: number;
  /** When measuring began (after the warm-up), ms since the run started. */
  startedAtMs: number;
  /** Measured time, ms (warm-up excluded). */
  durationMs: number;
  /** How many times the step was extended because the judge was inconclusive. */
  extensions: number;
  arms: Record<string, StepArm>;
  /** Per-second points per arm ("client" too with the proxy router), ms from startedAtMs. */
  intervals: Record<string, IntervalPoint[]>;
  verdict: StepVerdict;
}

/** The record of a run. */
export interface RunResult {
  schemaVersion: number;
  run: string;
  scenario: { name: string; file: string; digest: string };
  router: string;
  startedAt: string;
  endedAt: string;
  machine: { hostname: string; cpus: number; cpuModel: string; node: string };
  preflight: HealthResult[];
  steps: StepResult[];
  decision: Decision;
  reason: string;
  exitCode: number;
  /** Things every report must show (a stored baseline from another scenario or machine). */
  warnings: string[];
  /** Regression runs of two builds (`regress`): how each was run and each round's figures. */
  regress?: RegressSummary;
}

/** What a `regress` run adds to its result; its one step holds both builds merged over rounds. */
export interface RegressSummary {
  /** Each build: which arm, what ran it (container and limits, or process), time to healthy. */
  builds: { arm: string; description: string; startupMs: number }[];
  /** Rounds in the order they ran; a drift over the run shows here. */
  rounds: RegressRound[];
}

/**
 * What people call an arm of a regression run: the candidate build is stored as the judge's
 * "canary" arm, but nothing canary-like happens to it, so every regress text says "candidate".
 */
export function regressBuildName(arm: string): string {
  return arm === 'canary' ? 'candidate' : arm;
}

/** One round of a regression run: both builds under the same load, in `order`. */
export interface RegressRound {
  index: number;
  /** Arms in the order they were measured (alternating: ABBA). */
  order: string[];
  arms: Record<string, { requests: number; errors: number; p50Ms: number; p99Ms: number; durationMs: number }>;
}

/** One arm's measurements as a result stores them. */
export function stepArmOf(a: ArmMeasurements, traceUrl?: string): StepArm {
  return {
    url: a.url,
    requests: a.counters.requests,
    errors: a.counters.errors,
    throttled: a.counters.errorsByClass.http429,
    errorsByClass: { ...a.counters.errorsByClass },
    latencyMs: { ...spectrumMs(a.latency) },
    histogram: encodeHistogram(a.latency),
    endpoints: Object.fromEntries(
      a.endpoints.map((e) => [
        e.name,
        { requests: e.requests, errors: e.errors, throttled: 0, histogram: encodeHistogram(e.latency) },
      ]),
    ),
    ...(a.slowest && a.slowest.requests.length > 0
      ? {
          slowest: a.slowest.requests.map((r) => ({
            ...r,
            latencyMs: Math.round(r.latencyMs * 1000) / 1000,
            ...(traceUrl ? { url: traceUrl.replaceAll('{traceId}', r.traceId) } : {}),
          })),
        }
      : {}),
  };
}

/** The machine fingerprint stored with every result and baseline. */
export function machineFingerprint(): RunResult['machine'] & { cpuModel: string } {
  return { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version };
}
