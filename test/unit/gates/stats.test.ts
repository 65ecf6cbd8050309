import { describe, expect, it } from 'vitest';
import { binomialCdfByBeta, logGamma, proportionBounds, regularizedBeta } from '../../../src/gates/stats/beta.js';
import { binomialCdf } from '../../../src/gates/stats/binomial.js';
import {
  bucketsFromUs,
  bucketsOf,
  countAbove,
  hdrBucketOf,
  mergeBuckets,
  subtractBuckets,
} from '../../../src/gates/stats/buckets.js';
import { countDesignEffect, varianceOfSum } from '../../../src/gates/stats/design-effect.js';
import { hodgesLehmannRatio, mannWhitneyU, marginShift, thetaAt } from '../../../src/gates/stats/mann-whitney.js';
import { normalCdf, normalQuantile } from '../../../src/gates/stats/normal.js';
import { countBounds, marginScoreTest } from '../../../src/gates/stats/proportions.js';
import {
  type LatencySample,
  quantileBounds,
  quantileRanks,
  samplesToBound,
} from '../../../src/gates/stats/quantile-interval.js';
import { createHistogram, recordMs } from '../../../src/hdr/histogram.js';
import { seededRandom } from '../../../src/util/random.js';

/** A sample of the given latencies (ms), with `failures` requests that failed without one. */
function sample(ms: readonly number[], failures = 0, failureUs = Number.POSITIVE_INFINITY): LatencySample {
  return { buckets: bucketsFromUs(ms.map((v) => Math.max(1, Math.round(v * 1000)))), failures, failureUs };
}

const logNormal = (random: () => number, median: number, sigma: number) => () =>
  median * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));

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

describe('binomial and incomplete beta', () => {
  it('matches textbook values', () => {
    // Bin(10, 0.5): P(X ≤ 2) = (1 + 10 + 45) / 1024 = 56/1024.
    expect(binomialCdf(2, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
    expect(binomialCdfByBeta(2, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
    // Bin(100, 0.5): P(X ≤ 39) = 0.017600 (tables).
    expect(binomialCdf(39, 100, 0.5)).toBeCloseTo(0.0176, 4);
  });

  it('has ln Γ and I_x(a, b) at known points', () => {
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    // I_x(1, 1) = x; I_x(2, 1) = x²; I_0.5(a, a) = ½.
    expect(regularizedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(regularizedBeta(0.3, 2, 1)).toBeCloseTo(0.09, 12);
    expect(regularizedBeta(0.5, 7.5, 7.5)).toBeCloseTo(0.5, 12);
  });

  it('agrees with the summed binomial at every k of Bin(300, 0.07)', () => {
    for (let k = 0; k <= 300; k += 7) {
      expect(binomialCdfByBeta(k, 300, 0.07)).toBeCloseTo(binomialCdf(k, 300, 0.07), 11);
    }
  });

  it('gives Clopper-Pearson bounds: 5 of 100, and 0 of 3000 (the rule of three)', () => {
    // Textbook 95 % interval for 5/100: [0.01643, 0.11284].
    const b = proportionBounds(5, 100, 0.025, 0.025);
    expect(b.lower).toBeCloseTo(0.01643, 4);
    expect(b.upper).toBeCloseTo(0.11284, 4);
    // 0 errors in 3000: upper = 1 − 0.05^(1/3000).
    expect(proportionBounds(0, 3000, 0.05, 0.05).upper).toBeCloseTo(1 - 0.05 ** (1 / 3000), 9);
    // A tiny level stays exact on the far side (no 1 − ε cancellation).
    const tiny = proportionBounds(1, 10, 1e-12, 1e-12);
    expect(binomialCdfByBeta(1, 10, tiny.upper)).toBeCloseTo(1e-12, 18);
  });
});

describe('quantile bounds from order statistics', () => {
  it('gives the textbook ranks for the median of 100 samples: x(40) … x(61)', () => {
    // P(X ≤ 39) = 0.0176 ≤ 0.025 < P(X ≤ 40) = 0.0284, X ~ Bin(100, 0.5), and symmetrically.
    expect(quantileRanks(100, 0.5, 0.95)).toEqual({ lower: 40, upper: 61 });
  });

  it('is exact at large n: p99 of 5000 samples is x(4936) … x(4964), one rank inside the normal approximation', () => {
    expect(quantileRanks(5000, 0.99, 0.95)).toEqual({ lower: 4936, upper: 4964 });
    expect(binomialCdfByBeta(4935, 5000, 0.99)).toBeLessThanOrEqual(0.025);
    expect(1 - binomialCdfByBeta(4963, 5000, 0.99)).toBeLessThanOrEqual(0.025);
    expect(1 - binomialCdfByBeta(4962, 5000, 0.99)).toBeGreaterThan(0.025);
  });

  it('cannot bound p99 from above with fewer than 368 samples at 95 %', () => {
    // The upper end needs P(all n below the p99) = 0.99ⁿ ≤ 0.025 → n ≥ ln 0.025 / ln 0.99 = 367.04.
    expect(samplesToBound(0.99, 0.95)).toBe(368);
    expect(quantileRanks(368, 0.99, 0.95).upper).toBe(368);
    expect(quantileRanks(367, 0.99, 0.95).upper).toBeUndefined();
  });

  it('reads the lower end at its bucket’s lowest value and the upper at its highest', () => {
    const s = sample(Array.from({ length: 1000 }, (_, i) => 1 + i));
    const median = quantileBounds(s, 0.5, 0.025, 0.025);
    // Ranks 469 and 532 of 1 … 1000 ms: buckets of 0.5 ms at that size (3 significant digits).
    expect(median.lowerUs).toBe(hdrBucketOf(469_000)[0]);
    expect(median.upperUs).toBe(hdrBucketOf(532_000)[1]);
    expect((median.lowerUs ?? 0) <= median.estimateUs && median.estimateUs <= (median.upperUs ?? 0)).toBe(true);
  });

  it('ranks failed requests above every latency: all failed is ∞, some failed moves p99 up', () => {
    const none = quantileBounds(sample([], 1000), 0.99, 0.01, 0.05);
    expect(none.estimateUs).toBe(Number.POSITIVE_INFINITY);
    expect(none.lowerUs).toBe(Number.POSITIVE_INFINITY);
    // 2 % failed: the p99 is a failure, bounded below by one.
    const some = quantileBounds(
      sample(
        Array.from({ length: 980 }, () => 10),
        20,
      ),
      0.99,
      0.01,
      0.05,
    );
    expect(some.estimateUs).toBe(Number.POSITIVE_INFINITY);
    // At a known timeout they count at it.
    const timed = quantileBounds(
      sample(
        Array.from({ length: 980 }, () => 10),
        20,
        2_000_000,
      ),
      0.99,
      0.01,
      0.05,
    );
    expect(timed.estimateUs).toBe(2_000_000);
  });

  it('widens with a design effect as if n / deff samples were independent', () => {
    const random = seededRandom(7);
    const draw = logNormal(random, 20, 0.6);
    const s = sample(Array.from({ length: 20_000 }, draw));
    const iid = quantileBounds(s, 0.99, 0.01, 0.01);
    const bursty = quantileBounds(s, 0.99, 0.01, 0.01, 10);
    expect(bursty.nEffective).toBe(2000);
    expect((bursty.lowerUs ?? 0) < (iid.lowerUs ?? 0)).toBe(true);
    expect((bursty.upperUs ?? 0) > (iid.upperUs ?? 0)).toBe(true);
  });
});

describe('buckets', () => {
  it('are the HDR histogram’s own buckets', () => {
    const random = seededRandom(3);
    const draw = logNormal(random, 20, 1.2);
    const values = Array.from({ length: 5000 }, () => Math.max(1, Math.round(draw() * 1000)));
    const h = createHistogram();
    for (const v of values) h.recordValue(v);
    expect(bucketsFromUs([...values])).toEqual(bucketsOf(h));
  });

  it('merge and subtract exactly, and count what lies above a value', () => {
    const a = bucketsFromUs([1000, 2000, 2000, 5000]);
    const b = bucketsFromUs([2000, 9000]);
    const both = mergeBuckets([a, b]);
    expect(both.total).toBe(6);
    expect(subtractBuckets(both, [b])).toEqual(a);
    expect(countAbove(both, 2000)).toBe(2);
    expect(countAbove(both, 2001)).toBe(2);
    // A merged HDR histogram gives the same buckets.
    const h = createHistogram();
    for (const ms of [1, 2, 2, 5, 2, 9]) recordMs(h, ms);
    expect(bucketsOf(h)).toEqual(both);
  });
});

describe('Mann-Whitney against a margin', () => {
  it('has U = n₁n₂ when every canary value is larger, and handles ties with ½', () => {
    expect(mannWhitneyU([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0])).toBe(25);
    // canary [2,3,3,4], baseline [1,2,2,3]: U = 2 + 3.5 + 3.5 + 4 = 13.
    expect(mannWhitneyU([0, 1, 2, 1], [1, 2, 1, 0])).toBe(13);
    expect(thetaAt(sample([2, 3, 3, 4]), sample([1, 2, 2, 3]), 1)).toBeCloseTo(13 / 16, 12);
  });

  it('has the textbook variance for identical samples and θ = ½', () => {
    const values = Array.from({ length: 400 }, (_, i) => 1 + i / 10);
    const r = marginShift(sample(values), sample(values), 1, 0);
    expect(r.theta).toBeCloseTo(0.5, 12);
    // Var(U / n₁n₂) under H0 = (n₁ + n₂ + 1) / (12 n₁ n₂).
    expect(r.se).toBeCloseTo(Math.sqrt(801 / (12 * 400 * 400)), 3);
  });

  it('holds the canary to the margin: an identical canary ÷ 1.1 is faster, a 1.3× one slower', () => {
    const random = seededRandom(11);
    const draw = logNormal(random, 20, 0.6);
    const base = Array.from({ length: 5000 }, draw);
    const same = Array.from({ length: 5000 }, draw);
    expect(marginShift(sample(same), sample(base), 1.1, 0).theta).toBeLessThan(0.47);
    expect(marginShift(sample(same.map((v) => v * 1.3)), sample(base), 1.1, 0).theta).toBeGreaterThan(0.55);
    expect(hodgesLehmannRatio(sample(same.map((v) => v * 1.3)), sample(base))).toBeCloseTo(1.3, 1);
  });

  it('widens the error when the canary’s slow requests come in bursts', () => {
    const random = seededRandom(5);
    const draw = logNormal(random, 20, 0.5);
    const windows = Array.from({ length: 60 }, (_, w) =>
      sample(Array.from({ length: 100 }, () => draw() * (w % 5 === 0 ? 3 : 1))),
    );
    const all = { buckets: mergeBuckets(windows.map((w) => w.buckets)), failures: 0, failureUs: Infinity };
    const base = sample(Array.from({ length: 6000 }, draw));
    const plain = marginShift(all, base, 1.1, 0);
    const clustered = marginShift(all, base, 1.1, 0, { canary: windows, baseline: [] });
    expect(clustered.se).toBeGreaterThan(2 * plain.se);
  });
});

describe('design effects from windows', () => {
  it('is about 1 for independent requests', () => {
    const random = seededRandom(9);
    const sizes = Array.from({ length: 200 }, () => 500);
    const hits = sizes.map((n) => {
      let k = 0;
      for (let i = 0; i < n; i++) if (random() < 0.01) k++;
      return k;
    });
    const d = countDesignEffect(hits, sizes);
    expect(d).toBeGreaterThanOrEqual(1);
    expect(d).toBeLessThan(1.6);
  });

  it('sees bursts that fill random windows, and lets a strictly periodic pattern cancel', () => {
    // About one window in seven, at random, holds 30 slow requests; the others 2 to 4.
    const random = seededRandom(4);
    const sizes = Array.from({ length: 100 }, () => 500);
    const bursty = sizes.map(() => (random() < 0.15 ? 30 : 2 + Math.floor(3 * random())));
    expect(countDesignEffect(bursty, sizes)).toBeGreaterThan(5);
    // A period of 3 windows: the total over whole periods does not vary.
    const periodic = [9, -3, -6].flatMap((x) => [x]).concat(...Array.from({ length: 29 }, () => [9, -3, -6]));
    expect(varianceOfSum(periodic)).toBeLessThan(0.2 * periodic.reduce((s, x) => s + x * x, 0));
  });
});

describe('error proportions against a margin', () => {
  it('is the pooled two-proportion z-test when the margin is "no difference"', () => {
    // 60/1000 vs 40/1000: pooled 0.05, se = √(0.05·0.95·0.002) = 0.009747, z = 2.052.
    expect(marginScoreTest(60, 1000, 40, 1000, 1, 0)?.z).toBeCloseTo(2.052, 3);
  });

  it('fits both rates on a ratio margin as Farrington-Manning do (closed form)', () => {
    // H: p_c = θ·p_b, θ = 2; FM's restricted MLE: p̃_b = (−B − √(B² − 4AC)) / 2A.
    const [x1, n1, x2, n2, theta] = [30, 2000, 20, 4000, 2];
    const N = n1 + n2;
    const A = N * theta;
    const B = -(n1 * theta + x1 + n2 + x2 * theta);
    const C = x1 + x2;
    const pb = (-B - Math.sqrt(B * B - 4 * A * C)) / (2 * A);
    const pc = theta * pb;
    const z = (x1 / n1 - theta * (x2 / n2)) / Math.sqrt((pc * (1 - pc)) / n1 + (theta * theta * pb * (1 - pb)) / n2);
    expect(marginScoreTest(x1, n1, x2, n2, theta, 0)?.z).toBeCloseTo(z, 6);
  });

  it('cannot show a pure ratio without errors, but can with slack', () => {
    expect(marginScoreTest(0, 1000, 0, 1000, 2, 0)).toBeUndefined();
    expect(marginScoreTest(0, 5000, 0, 5000, 2, 0.001)?.z).toBeLessThan(-2);
  });

  it('bounds a count within 1 % of the exact Poisson bounds', () => {
    // Exact 95 % for 10 events: [4.795, 18.390].
    const b = countBounds(10, 0.025, 0.025);
    expect(b.lower / 4.795).toBeCloseTo(1, 1);
    expect(b.upper / 18.39).toBeCloseTo(1, 1);
  });
});
