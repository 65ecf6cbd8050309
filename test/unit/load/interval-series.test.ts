import { describe, expect, it } from 'vitest';
import { createHistogram, recordMs } from '../../../src/hdr/histogram.js';
import { coalescePairs, IntervalSeries } from '../../../src/load/interval-series.js';

const sample = (requests: number, latencyMs: number) => {
  const latency = createHistogram();
  for (let i = 0; i < requests; i++) recordMs(latency, latencyMs);
  return { requests, errors: 0, latency, statusClasses: [0, 0, requests, 0, 0, 0] };
};

describe('interval series', () => {
  it('completes an interval when every generator has reported it', () => {
    const series = new IntervalSeries(2);
    expect(series.add(0, { target: sample(10, 5) })).toBeUndefined();
    const completed = series.add(0, { target: sample(30, 50) });
    const points = completed?.points;
    expect(points?.target?.requests).toBe(40);
    expect(completed?.samples.target?.statusClasses).toEqual([0, 0, 40, 0, 0, 0]);
    expect(completed?.samples.target?.latency.totalCount).toBe(40);
    // Exact over the merged histogram: the 90th percentile falls among the 50 ms requests.
    expect(points?.target?.p90Ms).toBeCloseTo(50, 0);
    expect(points?.target?.p50Ms).toBeCloseTo(50, 0);
  });

  it('stays bounded however long the run is', () => {
    const series = new IntervalSeries(1, 1000, 50);
    for (let i = 0; i < 2000; i++) series.add(i, { target: sample(1, i % 7) });
    const points = series.points().target ?? [];
    expect(points.length).toBeLessThanOrEqual(50);
    expect(points.reduce((s, p) => s + p.requests, 0)).toBe(2000);
    expect(points.reduce((s, p) => s + p.durationMs, 0)).toBe(2000 * 1000);
  });

  it('coalesces neighbours conservatively', () => {
    const p = (startMs: number, p99Ms: number) => ({
      startMs,
      durationMs: 1000,
      requests: 1,
      errors: 0,
      p50Ms: 1,
      p90Ms: 1,
      p95Ms: 1,
      p99Ms,
      maxMs: p99Ms,
    });
    expect(coalescePairs([p(0, 3), p(1000, 9), p(2000, 4)])).toEqual([
      { startMs: 0, durationMs: 2000, requests: 2, errors: 0, p50Ms: 1, p90Ms: 1, p95Ms: 1, p99Ms: 9, maxMs: 9 },
      p(2000, 4),
    ]);
  });
});
