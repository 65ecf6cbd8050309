/**
 * Design effects from per-second windows. Latencies come in bursts (a stall or GC pause slows
 * every request of a fraction of a second), so n requests can carry less information than n
 * independent draws. The judge counts, per window, the requests on one side of the statistic it
 * tests (above a quantile, errors, a placement sum) and compares the variance of their total —
 * estimated from the windows' autocovariances, so bursts across window edges count too — with the
 * variance independent requests would give. The ratio is the design effect; n / designEffect
 * samples are what the interval may count on. Never below 1: too few windows to see the bursts
 * does not make the samples better than independent. Pure.
 */

/** Fewest windows for which a variance across them means anything; below, the effect is 1. */
export const MIN_WINDOWS = 8;

/**
 * Variance of the sum of a window series (values already centred), from its autocovariances
 * weighted by the Bartlett kernel up to lag √W (Newey-West). The kernel lets a periodic pattern —
 * a stall every 3 s fills one window in three — cancel over its period, as it does in the total,
 * while slow drifts that span several windows still add their positive correlations.
 */
export function varianceOfSum(centred: readonly number[]): number {
  const w = centred.length;
  if (w < 2) return 0;
  const gamma = (lag: number) => {
    let s = 0;
    for (let i = 0; i + lag < w; i++) s += (centred[i] as number) * (centred[i + lag] as number);
    return s;
  };
  // Centring on an estimated mean uses one window's worth of freedom.
  let total = (gamma(0) * w) / (w - 1);
  const maxLag = Math.min(w - 1, Math.floor(Math.sqrt(w)));
  for (let lag = 1; lag <= maxLag; lag++) total += 2 * (1 - lag / (maxLag + 1)) * gamma(lag);
  return Math.max(total, 0);
}

/**
 * Design effect of a count: `hits[w]` of `sizes[w]` trials per window. Compares the variance of
 * the total with the binomial variance n·p·(1 − p).
 */
export function countDesignEffect(hits: readonly number[], sizes: readonly number[]): number {
  if (hits.length < MIN_WINDOWS) return 1;
  let h = 0;
  let n = 0;
  for (let i = 0; i < hits.length; i++) {
    h += hits[i] as number;
    n += sizes[i] as number;
  }
  if (n === 0 || h === 0 || h === n) return 1;
  const p = h / n;
  const centred = hits.map((x, i) => x - p * (sizes[i] as number));
  return Math.max(1, varianceOfSum(centred) / (n * p * (1 - p)));
}

/**
 * Design effect of a sum of per-request values: `sums[w]` over `sizes[w]` requests per window,
 * against independent requests with variance `perRequestVariance`.
 */
export function sumDesignEffect(sums: readonly number[], sizes: readonly number[], perRequestVariance: number): number {
  if (sums.length < MIN_WINDOWS || !(perRequestVariance > 0)) return 1;
  let s = 0;
  let n = 0;
  for (let i = 0; i < sums.length; i++) {
    s += sums[i] as number;
    n += sizes[i] as number;
  }
  if (n === 0) return 1;
  const mean = s / n;
  const centred = sums.map((x, i) => x - mean * (sizes[i] as number));
  return Math.max(1, varianceOfSum(centred) / (n * perRequestVariance));
}
