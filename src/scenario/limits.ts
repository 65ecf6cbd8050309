/**
 * Bounds on what a scenario may ask for. Every input has one: a rate, a duration, a list or a
 * string that passes validation must be one the engine can honour in bounded memory and time,
 * or `rate: 1e12` reaches gigabytes before anything is sent. The engine has its own hard bounds
 * (load/plan.ts ENGINE_LIMITS); these are the same or tighter, which a test checks (scenario/
 * cannot import load/). Pure.
 */

/** What a scenario may ask for at most. */
export const SCENARIO_LIMITS = {
  /** Highest arrival rate per worker thread, requests/s. */
  maxRatePerWorker: 200_000,
  /** Most worker threads. */
  maxWorkers: 64,
  /** Most connections per target. */
  maxConnections: 10_000,
  /** Most requests in flight per connection (closed model). */
  maxPipelining: 256,
  /** Longest duration of any kind (a step, a warm-up, a search step): one day. */
  maxDurationMs: 86_400_000,
  /** Longest per-request or per-command timeout: one hour, the top of the histograms. */
  maxTimeoutMs: 3_600_000,
  /** Most entries in the request mix: each costs histograms per arm for the whole run. */
  maxRequests: 100,
  /** Most steps of a staged run. */
  maxSteps: 20,
  /** Most checks, queries, matchers, health endpoints. */
  maxChecks: 50,
  /** Most headers of a request or a query. */
  maxHeaders: 100,
  /** Most arguments of a command. */
  maxArgs: 100,
  /** Longest request body, characters. */
  maxBodyChars: 1024 * 1024,
  /** Longest request path, characters. */
  maxPathChars: 8192,
  /** Longest text of any other field (a name, a header value, a description, a query). */
  maxTextChars: 16 * 1024,
  /** Most items of any list, or keys of any mapping, the loader reads (before the schema's own bounds). */
  maxCollection: 1000,
} as const;
