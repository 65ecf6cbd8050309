import { describe, expect, it } from 'vitest';
import { binomialCdf } from '../../../src/gates/stats/binomial.js';
import { mannWhitney, mannWhitneyFromCounts } from '../../../src/gates/stats/mann-whitney.js';
import { normalCdf, normalQuantile } from '../../../src/gates/stats/normal.js';
import { errorShareGreater, fisherGreater, twoProportionGreater } from '../../../src/gates/stats/proportions.js';
import { quantileInterval, quantileRanks, samplesToBound } from '../../../src/gates/stats/quantile-interval.js';
import { createHistogram, recordMs } from '../../../src/hdr/histogram.js';

describe('normal distribution', () => {
  it.each([
    [0.975, 1.959964],
    [0.5, 0],
    [0.995, 2.575829],
    [0.01, -2.326348],
  ])('Φ⁻¹(%d) = %d', (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 5);
    expect(normalCdf(z)).toBeCloseTo(p, 6);
  });
});

describe('binomial', () => {
  it('matches textbook values', () => {
    // Bin(10, 0.5): P(X ≤ 2) = (1 + 10 + 45) / 1024 = 56/1024.
    expect(binomialCdf(2, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
    // Bin(100, 0.5): P(X ≤ 39) = 0.017600 (tables).
    expect(binomialCdf(39, 100, 0.5)).toBeCloseTo(0.0176, 4);
  });
});

describe('quantile intervals from order statistics', () => {
  it('gives the textbook ranks for the median of 100 samples: x(40) … x(61)', () => {
    // P(X ≤ 39) = 0.0176 ≤ 0.025 < P(X ≤ 40) = 0.0284, X ~ Bin(100, 0.5), and symmetrically.
    expect(quantileRanks(100, 0.5, 0.95)).toEqual({ lower: 40, upper: 61 });
  });

  it('uses the normal approximation for large n: p99 of 5000 samples', () => {
    // mean 4950, sd √(5000·0.99·0.01) = 7.036, ±1.96 sd = ±13.79 → x(4936) … x(4965).
    expect(quantileRanks(5000, 0.99, 0.95)).toEqual({ lower: 4936, upper: 4965 });
  });

  it('cannot bound p99 from above with fewer than 368 samples at 95 %', () => {
    // The upper end needs P(all n below the p99) = 0.99ⁿ ≤ 0.025 → n ≥ ln 0.025 / ln 0.99 = 367.04.
    expect(samplesToBound(0.99, 0.95)).toBe(368);
    expect(quantileRanks(368, 0.99, 0.95).upper).toBe(368);
    expect(quantileRanks(367, 0.99, 0.95).upper).toBeUndefined();
  });

  it('reads the interval off the histogram', () => {
    const h = createHistogram();
    for (let ms = 1; ms <= 1000; ms++) recordMs(h, ms);
    const median = quantileInterval(h, 0.5, 0.95);
    // Ranks 469 and 532 of 1 … 1000 ms, within HDR's 0.1 %.
    expect(median.lower).toBeCloseTo(469, -1);
    expect(median.upper).toBeCloseTo(532, -1);
    expect((median.lower ?? 0) <= median.estimate && median.estimate <= (median.upper ?? 0)).toBe(true);
  });
});

describe('Mann-Whitney U from histogram buckets', () => {
  it('has U = n₁n₂ when every canary value is larger', () => {
    // n₁ = n₂ = 5: mean 12.5, variance 25·11/12 = 22.917, z = 12.5 / 4.787 = 2.611, p = 0.00451.
    const r = mannWhitneyFromCounts([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(r.u).toBe(25);
    expect(r.z).toBeCloseTo(2.611, 3);
    expect(r.pGreater).toBeCloseTo(0.00451, 4);
    expect(r.commonLanguageEffect).toBe(1);
  });

  it('handles ties with average ranks and the tie-corrected variance', () => {
    // canary [2,3,3,4], baseline [1,2,2,3]. Ranks: 1→1; the three 2s → 3; the three 3s → 6; 4→8.
    // R₁ = 3 + 6 + 6 + 8 = 23, U = 23 − 4·5/2 = 13 (pairwise: 2 + 3.5 + 3.5 + 4).
    // Var = (16/12)·(9 − (24 + 24)/(8·7)) = 10.857, z = (13 − 8)/3.295 = 1.5174, p = 0.0646.
    const r = mannWhitneyFromCounts([0, 1, 2, 1], [1, 2, 1, 0]);
    expect(r.u).toBe(13);
    expect(r.z).toBeCloseTo(1.5174, 3);
    expect(r.pGreater).toBeCloseTo(0.0646, 3);
  });

  it('gives the same U from histograms as from the raw samples', () => {
    const canary = createHistogram();
    const baseline = createHistogram();
    for (const v of [2, 3, 3, 4]) recordMs(canary, v);
    for (const v of [1, 2, 2, 3]) recordMs(baseline, v);
    expect(mannWhitney(canary, baseline).u).toBe(13);
  });

  it('sees no difference between identical samples', () => {
    const a = createHistogram();
    const b = createHistogram();
    for (let i = 1; i <= 500; i++) {
      recordMs(a, i / 10);
      recordMs(b, i / 10);
    }
    const r = mannWhitney(a, b);
    expect(r.u).toBe(125_000);
    expect(r.z).toBeCloseTo(0, 9);
    expect(r.pGreater).toBeCloseTo(0.5, 6);
  });
});

describe('error proportions', () => {
  it("gives Fisher's tea-tasting p = 17/70 for [[3,1],[1,3]]", () => {
    expect(fisherGreater(3, 4, 1, 4)).toBeCloseTo(17 / 70, 10);
  });

  it('agrees with the two-proportion z-test at large counts', () => {
    // 60/1000 vs 40/1000: pooled 0.05, se = √(0.05·0.95·0.002) = 0.009747, z = 2.052, p = 0.0201.
    expect(twoProportionGreater(60, 1000, 40, 1000)).toBeCloseTo(0.0201, 3);
    expect(Math.abs(fisherGreater(60, 1000, 40, 1000) - 0.0201)).toBeLessThan(0.01);
  });

  it('picks Fisher when an expected count is small', () => {
    expect(errorShareGreater(3, 100, 0, 100).method).toBe('fisher');
    expect(errorShareGreater(60, 1000, 40, 1000).method).toBe('z');
  });
});
