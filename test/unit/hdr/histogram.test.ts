import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  HIGHEST_TRACKABLE_US,
  mergeHistograms,
  recordMs,
  spectrumMs,
} from '../../../src/hdr/histogram.js';

describe('HDR helpers', () => {
  it('keep 3 significant digits over the whole range', () => {
    const h = createHistogram();
    for (let i = 1; i <= 1000; i++) recordMs(h, i); // 1 ms … 1 s
    const s = spectrumMs(h);
    expect(s.p50).toBeGreaterThanOrEqual(500);
    expect(s.p50 / 500).toBeLessThan(1.001);
    expect(s.p99 / 990).toBeLessThan(1.001);
    expect(s.max / 1000).toBeLessThan(1.001);
    expect(s.min).toBe(1);
  });

  it('round-trip through the compressed encoding: counts and percentiles exact, max within resolution', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 300 }), (values) => {
        const h = createHistogram();
        for (const v of values) h.recordValue(v);
        const back = decodeHistogram(encodeHistogram(h));
        return (
          back.totalCount === h.totalCount &&
          back.getValueAtPercentile(50) === h.getValueAtPercentile(50) &&
          back.getValueAtPercentile(99) === h.getValueAtPercentile(99) &&
          // The encoding keeps buckets, not the exact maximum: it comes back as its bucket's top.
          back.maxValue >= h.maxValue &&
          back.maxValue <= h.maxValue * 1.001
        );
      }),
      { numRuns: 50 },
    );
  });

  it('merge exactly: the merged histogram equals one that recorded everything', () => {
    const a = createHistogram();
    const b = createHistogram();
    const all = createHistogram();
    for (let i = 0; i < 5000; i++) {
      const v = ((i * 7919) % 100_000) + 1;
      (i % 3 === 0 ? a : b).recordValue(v);
      all.recordValue(v);
    }
    const merged = mergeHistograms([a, b]);
    expect(merged.totalCount).toBe(all.totalCount);
    for (const p of [50, 90, 99, 99.9, 100]) expect(merged.getValueAtPercentile(p)).toBe(all.getValueAtPercentile(p));
  });

  it('clamp values outside the trackable range instead of throwing', () => {
    const h = createHistogram();
    recordMs(h, 0);
    recordMs(h, 10 * HIGHEST_TRACKABLE_US);
    expect(h.totalCount).toBe(2);
  });

  it('report zeros for an empty histogram and never a percentile above the maximum', () => {
    expect(spectrumMs(createHistogram()).p99).toBe(0);
    const h = createHistogram();
    recordMs(h, 63.93);
    const s = spectrumMs(h);
    expect(s.p999).toBeLessThanOrEqual(s.max);
  });
});
