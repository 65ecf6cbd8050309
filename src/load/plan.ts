/**
 * What a load run will do, fully resolved: targets, request mix, model, rate, bounds. The plan is
 * validated up front (every problem at once) and can be printed before anything is sent.
 */
import { ScenarioError } from '../errors.js';
import type { TracingPlan } from './trace-context.js';

/** One request of the mix. */
export interface RequestSpec {
  /** Name used for the endpoint's histogram; defaults to "METHOD path". */
  name?: string;
  /** HTTP method. */
  method: string;
  /** Path and query, starting with "/". Appended to the target's base path. */
  path: string;
  /** Request headers. Values may hold secrets; they are never printed unredacted. */
  headers?: Record<string, string>;
  /** Request body, sent as is. */
  body?: string;
  /** Relative weight in the mix. */
  weight: number;
}

/** One place requests go: an arm of a canary (baseline, canary) or the single target of `load`. */
export interface TargetSpec {
  /** Arm name: "baseline", "canary", or "target" for a plain load run. */
  arm: string;
  /** Base URL: scheme, host, port and an optional base path. */
  url: string;
  /** Share of requests this target receives, relative to the others. */
  weight: number;
}

/** A fully resolved load run. */
export interface LoadPlan {
  /** Where requests go. */
  targets: TargetSpec[];
  /** What requests are sent. */
  mix: RequestSpec[];
  /** Requests per second (open model). Absent: closed model, as fast as the connections go. */
  ratePerSec?: number;
  /** How long requests are issued and measured, after the warm-up. */
  durationMs: number;
  /** Time at the start during which requests are sent at the full rate but not measured. */
  warmupMs?: number;
  /** Connections per target (open model: the in-flight limit; closed model: the concurrency). */
  connections: number;
  /** Requests in flight per connection (closed model only). */
  pipelining: number;
  /** Worker threads the generator is spread over. */
  workers: number;
  /** Per-request timeout; timed-out requests are recorded at this value. */
  timeoutMs: number;
  /** Optional hard cap on requests issued. */
  maxRequests?: number;
  /** W3C trace context on a share of requests; the slowest keep their trace ids. */
  tracing?: TracingPlan;
}

/**
 * The engine's own hard bounds. Memory follows what is measured, never what is declared: the
 * schedule is arithmetic (no per-request state until a request is due), each target's backlog of
 * due-but-unsent requests is a fixed ring, histograms have a fixed size. These bounds keep every
 * declared quantity inside what one engine can honour; the scenario schema can read them.
 */
export const ENGINE_LIMITS = {
  /** Highest rate one generator thread accepts, requests/s (measured ceiling: docs/benchmarks.md). */
  maxRatePerThread: 200_000,
  /** Most worker threads. */
  maxWorkers: 64,
  /** Most connections per target. */
  maxConnections: 10_000,
  /** Most requests in flight per connection (closed model). */
  maxPipelining: 256,
  /** Most targets (arms). */
  maxTargets: 16,
  /** Most entries in the request mix. */
  maxMixEntries: 1_000,
  /** Longest load, warm-up included: one day. */
  maxDurationMs: 86_400_000,
  /** Longest per-request timeout: one hour (the histograms' top). */
  maxTimeoutMs: 3_600_000,
  /** Largest request body, bytes. */
  maxBodyBytes: 16 * 1024 * 1024,
  /**
   * Most due-but-unsent requests one target holds per thread; past it a due request is dropped at
   * once (counted, recorded as a timeout) instead of growing memory with the backlog.
   */
  maxBacklogPerTarget: 1 << 20,
} as const;

/** The load model a plan runs under. */
export type LoadModel = 'open' | 'closed';

/** Open model whenever a rate is given. */
export function modelOf(plan: LoadPlan): LoadModel {
  return plan.ratePerSec === undefined ? 'closed' : 'open';
}

const METHOD = /^[A-Z]+$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Every problem with a plan, each naming its field; empty when the plan is valid. */
export function planProblems(plan: LoadPlan): string[] {
  const problems: string[] = [];
  const L = ENGINE_LIMITS;
  if (plan.targets.length === 0) problems.push('targets: expected at least one target');
  if (plan.targets.length > L.maxTargets)
    problems.push(`targets: expected at most ${L.maxTargets} targets, found ${plan.targets.length}`);
  if (plan.mix.length > L.maxMixEntries)
    problems.push(`mix: expected at most ${L.maxMixEntries} requests, found ${plan.mix.length}`);
  plan.targets.forEach((target, i) => {
    let url: URL | undefined;
    try {
      url = new URL(target.url);
    } catch {
      problems.push(`targets[${i}].url: expected an absolute http(s) URL, found "${target.url}"`);
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:') {
      problems.push(`targets[${i}].url: expected http: or https:, found "${url.protocol}"`);
    }
    if (!(target.weight >= 0)) problems.push(`targets[${i}].weight: expected >= 0, found ${target.weight}`);
  });
  if (plan.targets.length > 0 && !plan.targets.some((t) => t.weight > 0)) {
    problems.push('targets: expected at least one target with a positive weight');
  }
  if (plan.mix.length === 0) problems.push('mix: expected at least one request');
  plan.mix.forEach((request, i) => {
    if (!METHOD.test(request.method)) {
      problems.push(`mix[${i}].method: expected an upper-case HTTP method, found "${request.method}"`);
    }
    if (!request.path.startsWith('/')) {
      problems.push(`mix[${i}].path: expected a path starting with "/", found "${request.path}"`);
    }
    if (!(request.weight >= 0)) problems.push(`mix[${i}].weight: expected >= 0, found ${request.weight}`);
    if (request.body !== undefined && Buffer.byteLength(request.body) > L.maxBodyBytes)
      problems.push(`mix[${i}].body: expected at most ${L.maxBodyBytes} bytes`);
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (!HEADER_NAME.test(name)) problems.push(`mix[${i}].headers: "${name}" is not a valid header name`);
      // The value is not quoted: it may be a secret.
      if (/[\r\n\0]/.test(value)) problems.push(`mix[${i}].headers.${name}: expected a value without CR, LF or NUL`);
    }
  });
  if (plan.mix.length > 0 && !plan.mix.some((r) => r.weight > 0)) {
    problems.push('mix: expected at least one request with a positive weight');
  }
  if (plan.ratePerSec !== undefined && !(plan.ratePerSec > 0 && Number.isFinite(plan.ratePerSec))) {
    problems.push(`rate: expected a positive number of requests per second, found ${plan.ratePerSec}`);
  } else if (plan.ratePerSec !== undefined && Number.isInteger(plan.workers) && plan.workers >= 1) {
    const most = L.maxRatePerThread * Math.min(plan.workers, L.maxWorkers);
    if (plan.ratePerSec > most)
      problems.push(
        `rate: expected at most ${most}/s (${L.maxRatePerThread}/s per worker thread × ${plan.workers}), found ${plan.ratePerSec}/s`,
      );
  }
  if (!(plan.durationMs > 0 && Number.isFinite(plan.durationMs))) {
    problems.push(`duration: expected a positive duration, found ${plan.durationMs}ms`);
  } else if (plan.durationMs + (plan.warmupMs ?? 0) > L.maxDurationMs) {
    problems.push(
      `duration: expected at most ${L.maxDurationMs}ms with the warm-up, found ${plan.durationMs + (plan.warmupMs ?? 0)}ms`,
    );
  }
  if (plan.warmupMs !== undefined && !(plan.warmupMs >= 0 && Number.isFinite(plan.warmupMs))) {
    problems.push(`warmup: expected a duration >= 0, found ${plan.warmupMs}ms`);
  }
  if (!Number.isInteger(plan.connections) || plan.connections < 1) {
    problems.push(`connections: expected an integer >= 1, found ${plan.connections}`);
  } else if (plan.connections > L.maxConnections) {
    problems.push(`connections: expected at most ${L.maxConnections}, found ${plan.connections}`);
  }
  if (!Number.isInteger(plan.pipelining) || plan.pipelining < 1) {
    problems.push(`pipelining: expected an integer >= 1, found ${plan.pipelining}`);
  } else if (plan.pipelining > L.maxPipelining) {
    problems.push(`pipelining: expected at most ${L.maxPipelining}, found ${plan.pipelining}`);
  }
  if (!Number.isInteger(plan.workers) || plan.workers < 1) {
    problems.push(`workers: expected an integer >= 1, found ${plan.workers}`);
  } else if (plan.workers > L.maxWorkers) {
    problems.push(`workers: expected at most ${L.maxWorkers}, found ${plan.workers}`);
  }
  if (plan.workers >= 1 && plan.connections >= 1 && plan.workers > plan.connections) {
    problems.push(
      `workers: each worker needs at least one connection, found ${plan.workers} workers for ${plan.connections} connections`,
    );
  }
  if (!(plan.timeoutMs > 0 && Number.isFinite(plan.timeoutMs))) {
    problems.push(`timeout: expected a positive duration, found ${plan.timeoutMs}ms`);
  } else if (plan.timeoutMs > L.maxTimeoutMs) {
    problems.push(`timeout: expected at most ${L.maxTimeoutMs}ms, found ${plan.timeoutMs}ms`);
  }
  if (plan.tracing && !(plan.tracing.sample >= 0 && plan.tracing.sample <= 1)) {
    problems.push(`tracing.sample: expected a share from 0 to 1, found ${plan.tracing.sample}`);
  }
  if (plan.tracing && (!Number.isInteger(plan.tracing.slowest) || plan.tracing.slowest < 1)) {
    problems.push(`tracing.slowest: expected an integer >= 1, found ${plan.tracing.slowest}`);
  }
  if (plan.maxRequests !== undefined && (!Number.isInteger(plan.maxRequests) || plan.maxRequests < 1)) {
    problems.push(`maxRequests: expected an integer >= 1, found ${plan.maxRequests}`);
  }
  return problems;
}

/** Throw a ScenarioError listing every problem, or return the plan unchanged. */
export function assertValidPlan(plan: LoadPlan): LoadPlan {
  const problems = planProblems(plan);
  if (problems.length > 0) {
    throw new ScenarioError(`invalid load plan:\n  - ${problems.join('\n  - ')}`, problems);
  }
  return plan;
}

/**
 * The plan for worker `index` of `plan.workers`: rate, connections and request cap divided so
 * the parts add up exactly to the whole.
 */
export function workerShare(plan: LoadPlan, index: number): LoadPlan {
  const n = plan.workers;
  const part = (total: number): number => Math.floor(total / n) + (index < total % n ? 1 : 0);
  const share: LoadPlan = { ...plan, workers: 1, connections: part(plan.connections) };
  if (plan.ratePerSec !== undefined) share.ratePerSec = plan.ratePerSec / n;
  if (plan.maxRequests !== undefined) share.maxRequests = part(plan.maxRequests);
  return share;
}
