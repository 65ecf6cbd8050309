import { describe, expect, it } from 'vitest';
import { type JudgeInput, judgeStep } from '../../../src/gates/judge.js';
import { binomialCdfByBeta, binomialSurvivalByBeta } from '../../../src/gates/stats/beta.js';
import { binomialCdf, binomialRanks } from '../../../src/gates/stats/binomial.js';
import { bucketsFromUs } from '../../../src/gates/stats/buckets.js';
import { normalQuantile } from '../../../src/gates/stats/normal.js';
import { quantileBounds } from '../../../src/gates/stats/quantile-interval.js';
import { createHistogram, recordMs } from '../../../src/hdr/histogram.js';
import { seededRandom } from '../../../src/util/random.js';
import { check, input } from './judge-input.js';

// The judge's quantile intervals rest on binomialRanks, which sums the binomial pmf outward from
// its mode. This file checks it against an independent exact evaluation — the regularized
// incomplete beta function, I_{1−q}(n − k, k + 1) = P(B ≤ k) — at every sample size up to 10⁷,
// checks that reference against the plain sum where that is cheap, and checks through the
// histogram path that the intervals cover the true quantile as often as they claim.

const SIZES = [1, 2, 3, 5, 10, 30, 99, 100, 368, 1000, 4321, 10_000, 65_536, 100_000, 1_000_000, 3_000_000, 10_000_000];
const QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999];
const LEVELS = [0.05, 0.025, 0.005, 1e-4, 1e-7, 1e-12];

describe('calibration: exact binomial ranks up to n = 10⁷', () => {
  it('the incomplete-beta reference equals the plain binomial sum', () => {
    for (const [n, q] of [
      [50, 0.5],
      [400, 0.99],
      [2000, 0.9],
      [5000, 0.999],
    ] as const) {
      for (let k = 0; k <= n; k += Math.max(1, Math.floor(n / 40))) {
        const summed = binomialCdf(k, n, q);
        expect(Math.abs(binomialCdfByBeta(k, n, q) - summed)).toBeLessThan(1e-11 + 1e-9 * summed);
      }
    }
  });

  it('every rank is the extreme one its level allows, at every size, quantile and level', () => {
    const problems: string[] = [];
    // The reference is accurate to about 1e-9 relative at n = 10⁷ (log-gamma of 10⁷ carries 1e-16 × 1.5e8).
    const tol = 1e-8;
    for (const n of SIZES) {
      for (const q of QUANTILES) {
        for (const a of LEVELS) {
          const { lower, upper } = binomialRanks(n, q, a, a);
          // lower = the largest l with P(B ≤ l − 1) ≤ a: x(l) ≤ the quantile with probability ≥ 1 − a.
          if (lower === undefined) {
            if (binomialCdfByBeta(0, n, q) <= a * (1 - tol)) problems.push(`n=${n} q=${q} a=${a}: lower missing`);
          } else {
            const at = binomialCdfByBeta(lower - 1, n, q);
            const next = lower < n ? binomialCdfByBeta(lower, n, q) : Number.POSITIVE_INFINITY;
            if (at > a * (1 + tol) || next <= a * (1 - tol))
              problems.push(`n=${n} q=${q} a=${a}: lower ${lower} (P=${at}, next ${next})`);
          }
          // upper = the smallest u with P(B ≥ u) ≤ a.
          if (upper === undefined) {
            if (binomialSurvivalByBeta(n, n, q) <= a * (1 - tol)) problems.push(`n=${n} q=${q} a=${a}: upper missing`);
          } else {
            const at = binomialSurvivalByBeta(upper, n, q);
            const before = upper > 1 ? binomialSurvivalByBeta(upper - 1, n, q) : Number.POSITIVE_INFINITY;
            if (at > a * (1 + tol) || before <= a * (1 - tol))
              problems.push(`n=${n} q=${q} a=${a}: upper ${upper} (P=${at}, before ${before})`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('at n = 10⁷ the ranks sit where the normal approximation puts them, within a rank or two', () => {
    // A sanity check of scale, not of exactness: the exact ranks differ from mean ± z·sd by the skew only.
    const n = 10_000_000;
    for (const q of [0.5, 0.99, 0.999]) {
      const { lower, upper } = binomialRanks(n, q, 0.025, 0.025);
      const sd = Math.sqrt(n * q * (1 - q));
      const z = normalQuantile(0.975);
      expect(Math.abs((lower as number) - (n * q - z * sd))).toBeLessThan(3);
      expect(Math.abs((upper as number) - (n * q + z * sd))).toBeLessThan(3);
    }
  });
});

describe('calibration: intervals read off histograms cover the true quantile as claimed', () => {
  // Log-normal latencies, median 20 ms, σ 0.6: the true q-quantile is 20·e^{0.6·z_q}.
  it.each([
    [30, 0.5],
    [200, 0.5],
    [500, 0.99],
    [3000, 0.99],
    [3000, 0.999],
  ])('n = %d, q = %d: each one-sided bound at level 0.05 holds in at least 0.95 of 800 samples', (n, q) => {
    const random = seededRandom(n * 1000 + Math.round(q * 1000));
    const truthUs = 20_000 * Math.exp(0.6 * normalQuantile(q));
    const reps = 800;
    let lowerHeld = 0;
    let upperHeld = 0;
    for (let r = 0; r < reps; r++) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        values[i] = Math.max(1, Math.round(20_000 * Math.exp(0.6 * z)));
      }
      const b = quantileBounds({ buckets: bucketsFromUs(values), failures: 0, failureUs: Infinity }, q, 0.05, 0.05);
      // A missing bound claims nothing and so always holds.
      if (b.lowerUs === undefined || b.lowerUs <= truthUs) lowerHeld++;
      if (b.upperUs === undefined || b.upperUs >= truthUs) upperHeld++;
    }
    // Exact ranks are conservative (discrete levels ≤ 5 %); 3 standard errors of 800 draws below 95 %.
    const floor = 0.95 - 3 * Math.sqrt((0.95 * 0.05) / reps);
    expect(lowerHeld / reps).toBeGreaterThanOrEqual(floor);
    expect(upperHeld / reps).toBeGreaterThanOrEqual(floor);
  });
});

describe('calibration: relative limits exactly on their margin', () => {
  // A canary exactly on the margin must pass at most beta of the time (a false promotion) and fail
  // at most alpha of the time: the ratio tests' levels are what they claim, not only the intervals.
  const runs = 300;
  const ceiling = 0.05 + 3 * Math.sqrt((0.05 * 0.95) / runs);

  /** Judge `runs` fresh looks at alpha = beta = 0.05; both outcome rates must stay at their level. */
  function expectLevels(look: () => Pick<JudgeInput, 'canary' | 'baseline' | 'checks'>) {
    let pass = 0;
    let fail = 0;
    for (let r = 0; r < runs; r++) {
      const status = judgeStep(input({ ...look(), alpha: 0.05, beta: 0.05 })).checks[0]?.status;
      if (status === 'pass') pass++;
      if (status === 'fail') fail++;
    }
    expect(pass / runs).toBeLessThanOrEqual(ceiling);
    expect(fail / runs).toBeLessThanOrEqual(ceiling);
  }

  it.each(['p50', 'p99', 'mean', 'distribution'] as const)(
    '%s: canary latencies = baseline × 1.1, 2 000 vs 6 000 samples',
    (metric) => {
      const random = seededRandom(metric.length * 97);
      const g = () => Math.exp(0.6 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
      const canary = createHistogram();
      const baseline = createHistogram();
      expectLevels(() => {
        canary.reset();
        baseline.reset();
        for (let i = 0; i < 2000; i++) recordMs(canary, 22 * g());
        for (let i = 0; i < 6000; i++) recordMs(baseline, 20 * g());
        return {
          canary: { latency: canary, requests: 2000, errors: 0, throttled: 0, durationMs: 1000 },
          baseline: { latency: baseline, requests: 6000, errors: 0, throttled: 0, durationMs: 1000 },
          checks: [check({ metric, vsBaseline: { ratio: 1.1, slack: 0 } })],
        };
      });
    },
  );

  it('errorRate: canary 0.5 % against baseline 0.2 % × 2 + 0.1 %, 20 000 vs 60 000 requests', () => {
    const random = seededRandom(31);
    const latency = createHistogram();
    recordMs(latency, 10);
    const count = (n: number, p: number) => {
      let k = 0;
      for (let i = 0; i < n; i++) if (random() < p) k++;
      return k;
    };
    expectLevels(() => ({
      canary: { latency, requests: 20_000, errors: count(20_000, 0.005), throttled: 0, durationMs: 1000 },
      baseline: { latency, requests: 60_000, errors: count(60_000, 0.002), throttled: 0, durationMs: 1000 },
      checks: [check({ metric: 'errorRate', vsBaseline: { ratio: 2, slack: 0.001 } })],
    }));
  });
});
