/**
 * Mann-Whitney against a margin. The canary's latencies are first held to the margin —
 * x → (x − slack) / ratio — and then compared with the baseline's: θ = P(canary′ > baseline)
 * + ½ P(tie), the Mann-Whitney U over n₁n₂. θ > ½ means the typical canary request is slower
 * than the margin allows (the Hodges-Lehmann ratio of canary to baseline exceeds it); θ < ½ means
 * it is within. Its variance comes from the placements of each sample in the other arm
 * (DeLong's structural components), summed per window when windows are given so that bursts
 * widen it. Everything is read off buckets: exact for the bucketed data, O(buckets). Pure.
 */
import { type Buckets, midpoint } from './buckets.js';
import { MIN_WINDOWS, varianceOfSum } from './design-effect.js';
import type { LatencySample } from './quantile-interval.js';

/** θ with its standard error. */
export interface MarginShift {
  /** P(canary′ > baseline) + ½ P(canary′ = baseline), canary′ = (canary − slack) / ratio. */
  theta: number;
  /** Standard error of θ (clustered by window when windows were given, never below the i.i.d. one). */
  se: number;
  n1: number;
  n2: number;
}

/** Mann-Whitney U from per-value counts (value order, equal positions are ties) — the textbook form. */
export function mannWhitneyU(canary: readonly number[], baseline: readonly number[]): number {
  let below = 0;
  let u = 0;
  for (let i = 0; i < Math.max(canary.length, baseline.length); i++) {
    const a = canary[i] ?? 0;
    const b = baseline[i] ?? 0;
    u += a * (below + b / 2);
    below += b;
  }
  return u;
}

/** Values of a sample as ascending [value, count] pairs, failures last at +∞. */
function values(s: LatencySample, transform: (us: number) => number): { v: number[]; c: number[] } {
  const v: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < s.buckets.low.length; i++) {
    v.push(transform(midpoint(s.buckets, i)));
    c.push(s.buckets.count[i] as number);
  }
  if (s.failures > 0) {
    v.push(Number.POSITIVE_INFINITY);
    c.push(s.failures);
  }
  return { v, c };
}

/** For each of `xs` (ascending): how many of `ys` lie below it, plus half of those equal. */
function placements(xs: readonly number[], ys: { v: number[]; c: number[] }): number[] {
  const out: number[] = [];
  let j = 0;
  let below = 0;
  for (const x of xs) {
    while (j < ys.v.length && (ys.v[j] as number) < x) below += ys.c[j++] as number;
    let equal = 0;
    for (let k = j; k < ys.v.length && ys.v[k] === x; k++) equal += ys.c[k] as number;
    out.push(below + equal / 2);
  }
  return out;
}

const identity = (us: number) => us;

/** θ for the canary's values divided by `ratio`, from prepared value lists (no allocation). */
function thetaOf(
  c: { v: number[]; c: number[] },
  b: { v: number[]; c: number[] },
  ratio: number,
  n1: number,
  n2: number,
) {
  let j = 0;
  let below = 0;
  let u = 0;
  for (let i = 0; i < c.v.length; i++) {
    const x = (c.v[i] as number) / ratio;
    while (j < b.v.length && (b.v[j] as number) < x) below += b.c[j++] as number;
    let equal = 0;
    for (let k = j; k < b.v.length && b.v[k] === x; k++) equal += b.c[k] as number;
    u += (c.c[i] as number) * (below + equal / 2);
  }
  return u / (n1 * n2);
}

/** θ alone, for a canary scaled by `ratio` and shifted by `slackUs`. */
export function thetaAt(canary: LatencySample, baseline: LatencySample, ratio: number, slackUs = 0): number {
  const n1 = canary.buckets.total + canary.failures;
  const n2 = baseline.buckets.total + baseline.failures;
  if (n1 === 0 || n2 === 0) return Number.NaN;
  return thetaOf(
    values(canary, (us) => us - slackUs),
    values(baseline, identity),
    ratio,
    n1,
    n2,
  );
}

/**
 * The ratio r at which the canary scaled by 1/r is as often slower as faster than the baseline:
 * the Hodges-Lehmann estimate of the canary-to-baseline latency ratio (median of pairwise ratios).
 */
export function hodgesLehmannRatio(canary: LatencySample, baseline: LatencySample): number {
  const n1 = canary.buckets.total + canary.failures;
  const n2 = baseline.buckets.total + baseline.failures;
  if (n1 === 0 || n2 === 0) return Number.NaN;
  const c = values(canary, identity);
  const b = values(baseline, identity);
  const theta = (logRatio: number) => thetaOf(c, b, Math.exp(logRatio), n1, n2);
  let lo = Math.log(1e-3);
  let hi = Math.log(1e3);
  if (!(theta(hi) < 0.5)) return Number.POSITIVE_INFINITY;
  if (!(theta(lo) > 0.5)) return 0;
  // 30 halvings of a 14-wide log range: the ratio to 1e-8, far below a bucket's width.
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (theta(mid) > 0.5) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

/** Per-window sums of placements, looked up by bucket (windows share the arm's HDR buckets). */
function windowSums(
  windows: readonly LatencySample[],
  whole: Buckets,
  perBucket: readonly number[],
  failurePlacement: number,
): { sums: number[]; sizes: number[] } {
  const byLow = new Map<number, number>();
  for (let i = 0; i < whole.low.length; i++) byLow.set(whole.low[i] as number, perBucket[i] as number);
  const sums: number[] = [];
  const sizes: number[] = [];
  for (const w of windows) {
    let s = w.failures * failurePlacement;
    for (let i = 0; i < w.buckets.low.length; i++)
      s += (w.buckets.count[i] as number) * (byLow.get(w.buckets.low[i] as number) ?? 0);
    sums.push(s);
    sizes.push(w.buckets.total + w.failures);
  }
  return { sums, sizes };
}

/** Variance of one arm's mean placement: i.i.d., or clustered by window when that is larger. */
function armVariance(
  perValue: readonly number[],
  counts: readonly number[],
  n: number,
  mean: number,
  windows: { sums: number[]; sizes: number[] } | undefined,
): number {
  let ss = 0;
  for (let i = 0; i < perValue.length; i++) ss += (counts[i] as number) * ((perValue[i] as number) - mean) ** 2;
  const iid = n > 1 ? ss / (n - 1) / n : 0;
  if (!windows || windows.sums.length < MIN_WINDOWS) return iid;
  const centred = windows.sums.map((s, i) => s - mean * (windows.sizes[i] as number));
  return Math.max(iid, varianceOfSum(centred) / (n * n));
}

/**
 * θ for the canary held to `ratio` and `slackUs` against the baseline, with its standard error.
 * `windows` (each arm's per-second samples, in time order, covering the same data) let bursts
 * widen the error.
 */
export function marginShift(
  canary: LatencySample,
  baseline: LatencySample,
  ratio: number,
  slackUs: number,
  windows?: { canary: readonly LatencySample[]; baseline: readonly LatencySample[] },
): MarginShift {
  const n1 = canary.buckets.total + canary.failures;
  const n2 = baseline.buckets.total + baseline.failures;
  if (n1 === 0 || n2 === 0) return { theta: Number.NaN, se: Number.NaN, n1, n2 };
  const c = values(canary, (us) => (us - slackUs) / ratio);
  const b = values(baseline, identity);
  // Canary placements: share of the baseline below each canary value (ties ½).
  const pc = placements(c.v, b).map((x) => x / n2);
  // Baseline placements: share of the canary above each baseline value (ties ½) = 1 − share below − ½ ties.
  const pb = placements(b.v, c).map((x) => (n1 - x) / n1);
  let u = 0;
  for (let i = 0; i < pc.length; i++) u += (c.c[i] as number) * (pc[i] as number);
  const theta = u / n1;
  // Each arm's share of the variance: its placements, summed per window when windows are given.
  const part = (p: number[], v: { c: number[] }, s: LatencySample, n: number, ws?: readonly LatencySample[]) =>
    armVariance(
      p,
      v.c,
      n,
      theta,
      ws &&
        windowSums(ws, s.buckets, p.slice(0, s.buckets.low.length), s.failures > 0 ? (p[p.length - 1] as number) : 0),
    );
  const vc = part(pc, c, canary, n1, windows?.canary);
  const vb = part(pb, b, baseline, n2, windows?.baseline);
  return { theta, se: Math.sqrt(vc + vb), n1, n2 };
}
