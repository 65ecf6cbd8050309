import { describe, expect, it } from 'vitest';
import { type ArmStepMeasurements, judgeStep } from '../../../src/gates/judge.js';
import { createHistogram, recordMs } from '../../../src/hdr/histogram.js';
import { check, input } from './judge-input.js';

/** An arm whose latencies are `ms`, with `errors` errors of which `throttled` were 429s. */
function arm(ms: number[], errors = 0, throttled = 0, durationMs = 10_000): ArmStepMeasurements {
  const latency = createHistogram();
  for (const v of ms) recordMs(latency, v);
  return { latency, requests: ms.length, errors, throttled, durationMs };
}
/** n values evenly from `from` to `to`. */
const spread = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

describe('judge: quantile checks with distribution-free intervals', () => {
  it.each([
    [
      'passes under an absolute bound',
      check({ metric: 'p99', max: 120 }),
      spread(2000, 1, 100),
      undefined,
      'continue',
      'pass',
    ],
    [
      'fails when the interval clears an absolute bound',
      check({ metric: 'p99', max: 50 }),
      spread(2000, 1, 100),
      undefined,
      'rollback',
      'fail',
    ],
    [
      'fails when the interval clears baseline × ratio + slack',
      check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 1 } }),
      spread(2000, 1, 100),
      spread(2000, 1, 50),
      'rollback',
      'fail',
    ],
    [
      'passes within baseline × ratio + slack',
      check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 1 } }),
      spread(2000, 1, 100),
      spread(2000, 1, 95),
      'continue',
      'pass',
    ],
  ])('%s', (_name, c, canary, baseline, decision, status) => {
    const v = judgeStep(input({ canary: arm(canary), ...(baseline ? { baseline: arm(baseline) } : {}), checks: [c] }));
    expect(v.decision).toBe(decision);
    expect(v.checks[0]?.status).toBe(status);
  });

  it('explains a failure with both intervals', () => {
    const v = judgeStep(
      input({
        canary: arm(spread(2000, 1, 100)),
        baseline: arm(spread(2000, 1, 50)),
        checks: [check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 1 } })],
      }),
    );
    expect(v.checks[0]?.reason).toMatch(
      /^canary p99 99\.\d+ ms \[[\d.]+ ms, [\d.]+ ms\] exceeds baseline p99 49\.\d+ ms \[[\d.]+ ms, [\d.]+ ms\] × 1\.1 \+ 1 ms = 55\.\d+ ms \(canary ÷ limit 1\.\d+ \[1\.\d+, 1\.\d+\]\)$/,
    );
    expect(v.checks[0]?.interval?.[0]).toBeLessThan(99.5);
    expect(v.checks[0]?.interval?.[1]).toBeGreaterThan(98.5);
  });

  it('is inconclusive on too few samples, says how many it needs, and never passes', () => {
    const v = judgeStep(input({ canary: arm(spread(100, 1, 2)), checks: [check({ metric: 'p99', max: 100 })] }));
    expect(v.decision).toBe('extend');
    expect(v.checks[0]?.status).toBe('inconclusive');
    // A pass needs p99's upper bound at beta (0.05): 0.99ⁿ ≤ 0.05 → n ≥ 299.
    expect(v.checks[0]?.needSamples).toBe(299);
  });

  it('at the last look, inconclusive rolls back by default, or passes under policy "continue"', () => {
    const base = { canary: arm(spread(100, 1, 2)), checks: [check({ metric: 'p99', max: 100 })], finalLook: true };
    expect(judgeStep(input(base)).decision).toBe('rollback');
    const lenient = judgeStep(
      input({ ...base, statistics: { minSamples: 200, maxIncrease: 0.05, inconclusive: 'continue' } }),
    );
    expect(lenient.decision).toBe('continue');
  });

  it('before the planned duration, rolls back only on a clear regression and otherwise keeps measuring', () => {
    const early = { mayPass: false, checks: [check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } })] };
    expect(
      judgeStep(input({ ...early, canary: arm(spread(2000, 1, 300)), baseline: arm(spread(2000, 1, 50)) })).decision,
    ).toBe('rollback');
    expect(
      judgeStep(input({ ...early, canary: arm(spread(2000, 1, 50)), baseline: arm(spread(2000, 1, 50)) })).decision,
    ).toBe('extend');
  });

  it('needs a larger effect when the look has less alpha to spend', () => {
    const c = [check({ metric: 'p99', vsBaseline: { ratio: 1.0, slack: 0 } })];
    // p99 of the canary is about 1 % above the baseline's, on 5000 samples each.
    const canary = arm(spread(5000, 1, 101));
    const baseline = arm(spread(5000, 1, 100));
    const generous = judgeStep(input({ canary, baseline, checks: c, alpha: 0.2, mayPass: false }));
    const strict = judgeStep(input({ canary, baseline, checks: c, alpha: 1e-12, mayPass: false }));
    expect(generous.checks[0]?.status).toBe('fail');
    expect(strict.checks[0]?.status).toBe('inconclusive');
    expect(strict.checks[0]?.interval?.[0] ?? 0).toBeLessThan(generous.checks[0]?.interval?.[0] ?? 0);
  });
});

describe('judge: distributions, error rates, throughput, scoring', () => {
  const tailOnly = (values: number[], from: number, factor: number) => values.map((v) => (v > from ? v * factor : v));

  it('tells a tail-only regression (p99 fails) from a whole-distribution one (Mann-Whitney fails too)', () => {
    const base = spread(5000, 1, 100);
    const checks = [
      check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } }),
      check({ metric: 'distribution', vsBaseline: { ratio: 1.05, slack: 0 } }),
    ];
    const tail = judgeStep(input({ canary: arm(tailOnly(base, 95, 1.3)), baseline: arm(base), checks }));
    expect(tail.checks.map((c) => c.status)).toEqual(['fail', 'pass']);
    const shifted = judgeStep(input({ canary: arm(base.map((v) => v * 1.3)), baseline: arm(base), checks }));
    expect(shifted.checks.map((c) => c.status)).toEqual(['fail', 'fail']);
    expect(shifted.checks[1]?.reason).toContain('Mann-Whitney P(canary ÷ 1.05 slower)');
    expect(shifted.checks[1]?.reason).toMatch(/typically 1\.3 × the baseline's/);
  });

  it('does not fail a significant but small distribution shift', () => {
    const base = spread(20_000, 1, 100);
    const v = judgeStep(
      input({
        canary: arm(base.map((v) => v * 1.02)),
        baseline: arm(base),
        checks: [check({ metric: 'distribution', vsBaseline: { ratio: 1.05, slack: 0 } })],
      }),
    );
    expect(v.checks[0]?.status).toBe('pass');
  });

  it('fails a critical error-rate cap at once, and reports 429s apart', () => {
    const errors = check({ metric: 'errorRate', max: 0.01, critical: true });
    const v = judgeStep(
      input({
        canary: arm(spread(1000, 1, 2), 60, 20),
        checks: [errors, check({ metric: 'p99', max: 100 })],
        mayPass: false,
      }),
    );
    expect(v.decision).toBe('rollback');
    expect(v.reason).toContain('critical check errorRate failed');
    // 60 errors, 20 of them 429s: the error rate is 40/1000.
    expect(v.checks[0]?.observed).toBeCloseTo(0.04, 6);
    expect(v.checks[0]?.reason).toContain('plus 20 throttled 429s');
    const throttledOnly = judgeStep(input({ canary: arm(spread(1000, 1, 2), 30, 30), checks: [errors] }));
    expect(throttledOnly.checks[0]?.status).toBe('pass');
  });

  it('tests error rates against the margin itself', () => {
    const c = [check({ metric: 'errorRate', vsBaseline: { ratio: 1.5, slack: 0.001 } })];
    // 3 % vs 1 % of 2000: shown past 1 % × 1.5 + 0.1 %.
    const past = judgeStep(
      input({ canary: arm(spread(2000, 1, 2), 60), baseline: arm(spread(2000, 1, 2), 20), checks: c }),
    );
    expect(past.checks[0]?.status).toBe('fail');
    expect(past.checks[0]?.reason).toMatch(
      /exceeds baseline 1% \(20\/2 000\) × 1\.5 \+ 0\.1% = 1\.6% \(score test z = /,
    );
    // 3 vs 1 errors in 300: past the margin as observed, but not shown: not a failure, and not a pass.
    const few = judgeStep(input({ canary: arm(spread(300, 1, 2), 3), baseline: arm(spread(300, 1, 2), 1), checks: c }));
    expect(few.checks[0]?.status).toBe('inconclusive');
    // 0.1 % vs 0.1 % of 20 000 each: shown within 0.15 % + 0.1 %.
    const same = judgeStep(
      input({ canary: arm(spread(20_000, 1, 2), 20), baseline: arm(spread(20_000, 1, 2), 20), checks: c }),
    );
    expect(same.checks[0]?.status).toBe('pass');
    // No errors anywhere and a pure ratio: nothing can be shown either way, and the sentence says why.
    const none = judgeStep(
      input({
        canary: arm(spread(2000, 1, 2)),
        baseline: arm(spread(2000, 1, 2)),
        checks: [check({ metric: 'errorRate', vsBaseline: { ratio: 2, slack: 0 } })],
      }),
    );
    expect(none.checks[0]?.status).toBe('inconclusive');
    expect(none.checks[0]?.reason).toContain('give the limit a slack');
  });

  it('checks throughput against a minimum at the end of the step', () => {
    const tp = [check({ metric: 'throughput', min: 150 })];
    expect(judgeStep(input({ canary: arm(spread(1000, 1, 2)), checks: tp })).decision).toBe('rollback');
    expect(judgeStep(input({ canary: arm(spread(2000, 1, 2)), checks: tp })).decision).toBe('continue');
  });

  it('scores weighted groups: a failed non-critical check can still be GO', () => {
    const checks = [
      check({ metric: 'p50', max: 1000, group: 'latency' }),
      check({ metric: 'p99', max: 1000, group: 'latency' }),
      check({ metric: 'p999', max: 50, group: 'tail' }),
    ];
    const v = judgeStep(
      input({ canary: arm(spread(5000, 1, 100)), checks, weights: { latency: 3, tail: 1 }, passScore: 7 }),
    );
    // latency 10/10 weighted 3, tail 0/10 weighted 1: (30 + 0) / 4 = 7.5 ≥ 7.
    expect(v.score.score).toBe(7.5);
    expect(v.score.go).toBe(true);
    expect(v.decision).toBe('continue');
    expect(v.score.groups.map((g) => [g.group, g.score])).toEqual([
      ['latency', 10],
      ['tail', 0],
    ]);
    const stricter = judgeStep(
      input({ canary: arm(spread(5000, 1, 100)), checks, weights: { latency: 1, tail: 1 }, passScore: 7 }),
    );
    expect(stricter.decision).toBe('rollback');
    expect(stricter.reason).toContain('NO-GO');
  });

  it('checks external values: bounds, critical failures, and unreadable sources as errors', () => {
    const canary = arm(spread(1000, 1, 2));
    const ok = judgeStep(
      input({
        canary,
        checks: [],
        external: [{ name: '5xx rate', value: 0.2, max: 0.5, critical: false, onUnavailable: 'error' }],
      }),
    );
    expect(ok.checks[0]).toMatchObject({ status: 'pass', group: 'external', reason: '5xx rate = 0.2 meets ≤ 0.5' });
    const firing = judgeStep(
      input({
        canary,
        checks: [],
        external: [{ name: 'alerts', value: 2, max: 0, critical: true, onUnavailable: 'error' }],
      }),
    );
    expect(firing.decision).toBe('rollback');
    expect(firing.reason).toContain('critical check alerts failed');
    const unreadable = judgeStep(
      input({
        canary,
        checks: [],
        external: [{ name: 'queue depth', value: null, max: 10, critical: true, onUnavailable: 'error' }],
      }),
    );
    expect(unreadable.checks[0]?.status).toBe('error');
    expect(unreadable.decision).toBe('rollback');
  });

  it('fails closed on a missing external value even when the check is not critical', () => {
    const canary = arm(spread(1000, 1, 2));
    const x = {
      name: 'cache hit ratio',
      value: null,
      problem: 'Prometheus timed out after 5000 ms',
      min: 0.8,
      critical: false,
      onUnavailable: 'error' as const,
    };
    const closed = judgeStep(input({ canary, checks: [], external: [x] }));
    expect(closed.decision).toBe('rollback');
    expect(closed.checks[0]?.reason).toContain('Prometheus timed out after 5000 ms');
    expect(closed.checks[0]?.reason).toContain('failing closed');
    // "inconclusive" keeps measuring, and never passes.
    const open = judgeStep(
      input({ canary, checks: [], external: [{ ...x, onUnavailable: 'inconclusive' }], finalLook: false }),
    );
    expect(open.checks[0]?.status).toBe('inconclusive');
    expect(open.decision).toBe('extend');
  });

  it('compares an external value with the baseline arm: ratio plus slack', () => {
    const canary = arm(spread(1000, 1, 2));
    const check = (value: number, baseline: number | null) =>
      judgeStep(
        input({
          canary,
          checks: [],
          external: [
            {
              name: 'error ratio',
              value,
              vsBaseline: { ratio: 1.5, slack: 0.001, baseline },
              critical: true,
              onUnavailable: 'error',
            },
          ],
        }),
      ).checks[0];
    expect(check(0.0159, 0.01)?.status).toBe('pass');
    expect(check(0.0159, 0.01)?.threshold).toBeCloseTo(0.016, 9);
    expect(check(0.0159, 0.01)?.reason).toBe('error ratio = 0.0159 meets ≤ baseline 0.01 × 1.5 + 0.001 = 0.016');
    expect(check(0.0161, 0.01)?.status).toBe('fail');
    expect(check(0.0161, 0.01)?.reason).toContain('breaks');
    expect(check(0.0161, null)).toMatchObject({ status: 'error' });
  });

  it('fails a canary value beyond its absolute bound even when the baseline value is missing', () => {
    const canary = arm(spread(1000, 1, 2));
    const c = judgeStep(
      input({
        canary,
        checks: [],
        external: [
          {
            name: 'error ratio',
            value: 0.3,
            max: 0.05,
            vsBaseline: { ratio: 1.5, slack: 0, baseline: null },
            critical: false,
            onUnavailable: 'inconclusive',
          },
        ],
      }),
    ).checks[0];
    expect(c?.status).toBe('fail');
    expect(c?.reason).toContain('breaks ≤ 0.05');
  });

  it('never counts an external check without a value as passing, even under inconclusive: continue', () => {
    const canary = arm(spread(1000, 1, 2));
    const v = judgeStep(
      input({
        canary,
        checks: [],
        statistics: { minSamples: 200, maxIncrease: 0.05, inconclusive: 'continue' },
        external: [{ name: 'queue depth', value: null, max: 10, critical: false, onUnavailable: 'inconclusive' }],
        finalLook: true,
      }),
    );
    expect(v.decision).toBe('rollback');
    expect(v.reason).toContain('queue depth: no value');
    const waiting = judgeStep(
      input({
        canary,
        checks: [],
        external: [{ name: 'queue depth', value: null, max: 10, critical: false, onUnavailable: 'inconclusive' }],
      }),
    );
    expect(waiting.reason).toContain('queue depth (waiting for a value)');
  });
});
