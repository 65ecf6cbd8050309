/**
 * Per-second windows of a step, and which of them may decide a check. A window is left out when
 * the driver says so (the generator fell behind: the latency was the generator's queue, not the
 * service) or when a transient hit both arms at once (a warm-up, a shared dependency, a pause of
 * the generator no probe caught): such a window says nothing about the canary against the
 * baseline, yet it can swamp a tail quantile of both. Pure.
 */
import { binomialSurvivalByBeta } from './stats/beta.js';
import { type Buckets, bucketAtRank, countAbove, mergeBuckets } from './stats/buckets.js';

/** Why a window must not decide a check. */
export interface WindowExclusion {
  /** The class of reason, as sentences group it: "generator-limited", "common transient", … */
  kind: string;
  /** Details for a person: "event-loop delay p99 42 ms". */
  detail?: string;
}

/** One arm's measurements over one window (normally a second) of a step. */
export interface ArmWindow {
  /** Start on the run's clock, ms: windows of two arms with the same start are simultaneous. */
  startMs: number;
  /** Length, ms. */
  durationMs: number;
  /** Latencies of the window's requests (µs buckets; see bucketsOf). */
  latency: Buckets;
  /** Requests finished in the window, failed ones included. */
  requests: number;
  /** Errors among them, 429s included. */
  errors: number;
  /** 429 responses among the errors. */
  throttled?: number;
  /** Set when the window must not decide a check (the driver marks generator-limited windows). */
  excluded?: WindowExclusion;
}

/** The kind the judge gives windows that a transient hit in both arms at once. */
export const COMMON_TRANSIENT = 'common transient';

/** Fewest requests a window needs before it can be called elevated. */
export const TRANSIENT_MIN_REQUESTS = 20;
/**
 * A window is elevated when, above one of these quantiles of the arm, it holds `factor` times the
 * share independent requests would put there: above the p99 catches a transient that spreads
 * latencies out, above the p90 one that slows a whole window to one value (a warm-up plateau),
 * above the median one that shifts the whole window a little (the tail of a warm-up).
 */
export const TRANSIENT_RULES = [
  { q: 0.99, factor: 5 },
  { q: 0.9, factor: 5 },
  { q: 0.5, factor: 1.2 },
] as const;
/**
 * More common-transient windows than this share of the paired ones (and more than
 * TRANSIENT_MAX_COUNT, so a warm-up early in a step still counts) is no transient: none is left out.
 */
export const TRANSIENT_MAX_SHARE = 0.25;
/** See TRANSIENT_MAX_SHARE. */
export const TRANSIENT_MAX_COUNT = 5;
/** … and independent requests would put that many there with at most this probability. */
export const TRANSIENT_LEVEL = 1e-4;

/** Requests in a window that failed without a latency. */
export const windowFailures = (w: ArmWindow): number => Math.max(0, w.requests - w.latency.total);

/** The value (µs) of an arm's q-quantile over the given windows (the top of its bucket). */
function quantileOf(windows: readonly ArmWindow[], q: number): number {
  const all = mergeBuckets(windows.map((w) => w.latency));
  if (all.total === 0) return Number.POSITIVE_INFINITY;
  const i = bucketAtRank(all, Math.max(1, Math.ceil(q * all.total)));
  return all.high[i] as number;
}

/**
 * Starts (ms) of the windows a transient raised in one arm: far more of its requests above one
 * of the arm's own quantiles than independent requests would put there. Failures count as above.
 */
export function elevatedWindows(windows: readonly ArmWindow[]): Set<number> {
  const usable = windows.filter((w) => !w.excluded);
  const out = new Set<number>();
  for (const rule of TRANSIENT_RULES) {
    const threshold = quantileOf(usable, rule.q);
    const share = 1 - rule.q;
    for (const w of usable) {
      const n = w.latency.total + windowFailures(w);
      if (n < TRANSIENT_MIN_REQUESTS || out.has(w.startMs)) continue;
      const above = countAbove(w.latency, threshold) + windowFailures(w);
      if (above < rule.factor * share * n) continue;
      if (binomialSurvivalByBeta(above, n, share) <= TRANSIENT_LEVEL) out.add(w.startMs);
    }
  }
  return out;
}

/**
 * The common-transient rule: windows elevated in both arms at the same time. A regression of
 * the canary alone never elevates the baseline, so it is never left out by this rule.
 */
export function commonTransients(canary: readonly ArmWindow[], baseline: readonly ArmWindow[]): Set<number> {
  const c = elevatedWindows(canary);
  const b = elevatedWindows(baseline);
  const common = new Set([...c].filter((start) => b.has(start)));
  // Both arms moving together most of the time is how the service behaves, not a transient.
  const starts = new Set(baseline.map((w) => w.startMs));
  const paired = canary.filter((w) => starts.has(w.startMs)).length;
  return common.size > Math.max(TRANSIENT_MAX_COUNT, TRANSIENT_MAX_SHARE * paired) ? new Set() : common;
}

/**
 * Every window start to leave out of both arms, with its reason: the driver's marks (in either
 * arm: the generator is shared) and the common transients.
 */
export function exclusionsOf(
  canary: readonly ArmWindow[] | undefined,
  baseline: readonly ArmWindow[] | undefined,
): Map<number, WindowExclusion> {
  const out = new Map<number, WindowExclusion>();
  for (const w of [...(canary ?? []), ...(baseline ?? [])]) if (w.excluded) out.set(w.startMs, w.excluded);
  if (canary && baseline) {
    for (const start of commonTransients(canary, baseline)) {
      if (!out.has(start)) out.set(start, { kind: COMMON_TRANSIENT, detail: 'both arms slowed at once' });
    }
  }
  return out;
}
