/**
 * The knee of a latency-throughput curve: the rate beyond which latency stops being flat and
 * climbs. Pure. It is found as in Kneedle (Satopää et al., 2011) for a convex increasing curve:
 * with rate and latency each scaled to [0, 1], the knee is the point farthest below the line
 * joining the ends (largest x − y). Latency is scaled on a log axis: past saturation it grows by
 * orders of magnitude (a queue that builds up), and on a linear axis one timed-out step would
 * flatten every rise before it and push the knee past the point where latency began to climb.
 * A curve whose latency does not end at least MIN_RISE times above its lowest has no knee.
 */

/** One point of the curve. */
export interface CurvePoint {
  /** Offered rate, requests/s. */
  ratePerSec: number;
  /** Latency at that rate, ms (p99 by default). */
  latencyMs: number;
}

/** The knee, with the curve's latency there. */
export interface Knee {
  /** Offered rate at the knee, requests/s. */
  ratePerSec: number;
  /** Latency at the knee, ms. */
  latencyMs: number;
}

/** A curve whose last latency is less than this many times its lowest is flat: no knee. */
export const MIN_RISE = 2;

/** The knee of `points` (any order; repeated rates keep their worst latency), or undefined. */
export function findKnee(points: readonly CurvePoint[]): Knee | undefined {
  const byRate = new Map<number, number>();
  for (const p of points) {
    if (!(Number.isFinite(p.ratePerSec) && Number.isFinite(p.latencyMs))) continue;
    byRate.set(p.ratePerSec, Math.max(p.latencyMs, byRate.get(p.ratePerSec) ?? Number.NEGATIVE_INFINITY));
  }
  const curve = [...byRate].map(([ratePerSec, latencyMs]) => ({ ratePerSec, latencyMs }));
  curve.sort((a, b) => a.ratePerSec - b.ratePerSec);
  if (curve.length < 3) return undefined;
  const first = curve[0] as Knee;
  const last = curve[curve.length - 1] as Knee;
  const lowY = Math.min(...curve.map((p) => p.latencyMs));
  const highY = Math.max(...curve.map((p) => p.latencyMs));
  // The curve must end high: one that starts high (a cold first step) and then settles is flat.
  if (!(lowY > 0 && last.latencyMs >= MIN_RISE * lowY)) return undefined;
  const spanX = last.ratePerSec - first.ratePerSec;
  const spanY = Math.log(highY / lowY);
  let best: Knee | undefined;
  let bestGap = 0;
  for (const p of curve) {
    const x = (p.ratePerSec - first.ratePerSec) / spanX;
    const y = Math.log(p.latencyMs / lowY) / spanY;
    const gap = x - y;
    if (gap > bestGap) {
      bestGap = gap;
      best = p;
    }
  }
  return best;
}
