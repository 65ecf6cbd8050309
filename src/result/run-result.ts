/**
 * RunResult: the versioned JSON record of a canary run. Reports render it and nothing else;
 * baselines are recorded from it.
 */
import { cpus, hostname } from 'node:os';
import type { StoredArm } from '../arm/arm.js';
import type { Decision } from '../exit-codes.js';
import type { CheckResult, StepVerdict } from '../gates/verdict.js';
import type { IntervalPoint } from '../load/interval-series.js';

export type { Decision } from '../exit-codes.js';

/** Version of the RunResult shape. */
export const RUN_RESULT_SCHEMA_VERSION = 1;

/** One health check's outcome (pre-flight of a run, health of a build). */
export interface HealthResult {
  /** Which service ("baseline", "canary", or an extra's name). */
  service: string;
  url: string;
  healthy: boolean;
  /** HTTP status, or the error class. */
  detail: string;
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
  arms: Record<string, StoredArm>;
  /** Per-second points per arm ("client" too with the proxy router), ms from startedAtMs. */
  intervals: Record<string, IntervalPoint[]>;
  verdict: StepVerdict;
  /** How trustworthy the step's measurement was: the load's own sends and the generator (absent in older results). */
  quality?: StepQuality;
}

/** One arm's sends and service time in a step. */
export interface ArmQuality {
  /** Requests handed to a connection. */
  sent: number;
  /** Of them, sent more than 10 ms behind their intended time. */
  late: number;
  /** Requests never sent (no connection came free before their timeout). */
  dropped: number;
  /** Service time (from the actual send, not the intended one), ms; null with no response. */
  serviceMs: { p50: number; p90: number; p99: number; max: number } | null;
}

/** The measurement quality of a step: what the judge's evidence stands on. */
export interface StepQuality {
  /** Per arm measured by the load itself (not the proxy router's arms). */
  arms: Record<string, ArmQuality>;
  /** The generator over the step's whole seconds. */
  generator?: {
    /** CPU of the generator process, % of one core. */
    cpuPercent: number;
    /** Event-loop delay, ms. */
    loopDelayP99Ms: number;
    loopDelayMaxMs: number;
    /** The generator-limit rule on the whole step, and why. */
    limited: boolean;
    reasons: string[];
    /** Seconds of the step the rule flagged (left out of the judge's evidence). */
    limitedSeconds: number;
  };
  /** Windows the verdict left out, by kind ("generator-limited", "common transient", "weights late"). */
  excluded: Record<string, number>;
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
  /**
   * Set when the scenario named no checks: the default checks (defaultRelativeChecks) judged every
   * step, held against this reference (absent when the scenario wrote its checks).
   */
  defaultChecks?: { names: string[]; reference: 'vsBaseline' | 'vsStored' };
  /** Regression runs of two builds (`regress`): how each was run and each round's figures. */
  regress?: RegressSummary;
  /** The security section's look before any weight changed: its checks, and what it decided. */
  preflightSecurity?: { decision: 'continue' | 'rollback' | 'aborted'; checks: CheckResult[] };
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

/** The machine fingerprint stored with every result and baseline. */
export function machineFingerprint(): RunResult['machine'] & { cpuModel: string } {
  return { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version };
}
