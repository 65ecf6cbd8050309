import { describe, expect, it } from 'vitest';
import { type ArmStepMeasurements, judgeStep } from '../../../src/gates/judge.js';
import { poolBaseline } from '../../../src/gates/pool.js';
import { bucketsFromUs } from '../../../src/gates/stats/buckets.js';
import { type ArmWindow, commonTransients } from '../../../src/gates/windows.js';
import { createHistogram, recordMs } from '../../../src/hdr/histogram.js';
import { seededRandom } from '../../../src/util/random.js';
import { check, input } from './judge-input.js';

// The judge decides on evidence both ways (issue #16): what it must show and never do.

/** A seeded log-normal sampler (ms). */
function logNormal(seed: number, median: number, sigma: number): () => number {
  const random = seededRandom(seed);
  return () => median * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

/** An arm from latencies (ms), with `failed` requests that got no response and per-second windows of `perWindow`. */
function arm(
  ms: readonly number[],
  opts: { errors?: number; failed?: number; perWindow?: number } = {},
): ArmStepMeasurements {
  const latency = createHistogram();
  for (const v of ms) recordMs(latency, v);
  const failed = opts.failed ?? 0;
  const out: ArmStepMeasurements = {
    latency,
    requests: ms.length + failed,
    errors: (opts.errors ?? 0) + failed,
    throttled: 0,
    durationMs: 30_000,
  };
  if (opts.perWindow) {
    const windows: ArmWindow[] = [];
    for (let i = 0, w = 0; i < ms.length; i += opts.perWindow, w++) {
      const part = ms.slice(i, i + opts.perWindow);
      windows.push({
        startMs: w * 1000,
        durationMs: 1000,
        latency: bucketsFromUs(part.map((v) => Math.max(1, Math.round(v * 1000)))),
        requests: part.length,
        errors: 0,
      });
    }
    out.windows = windows;
  }
  return out;
}

describe('the judge fails a regression on evidence', () => {
  it('fails the issue’s example: p99 59.9 → 79.9 ms, p50 unchanged, 8 000 vs 24 000, × 1.1 + 1 ms', () => {
    // Log-normal, median 20 ms, σ chosen so p99 = 59.9 ms; the canary's values above the p95 are
    // stretched so its p99 is 79.9 ms (×1.334) while its median stays.
    const sigma = Math.log(59.9 / 20) / 2.3263;
    const p95 = 20 * Math.exp(1.6449 * sigma);
    const base = Array.from({ length: 24_000 }, logNormal(1, 20, sigma));
    const canary = Array.from({ length: 8_000 }, logNormal(2, 20, sigma)).map((v) => (v > p95 ? v * 1.334 : v));
    const limit = { ratio: 1.1, slack: 1 };
    // The look at the planned end of step 1 of 5 with alpha 0.01 and four comparisons: about 4e-4 each.
    const v = judgeStep(
      input({
        canary: arm(canary),
        baseline: arm(base),
        alpha: 0.0016,
        checks: [
          check({ metric: 'p99', vsBaseline: limit }),
          check({ metric: 'p50', vsBaseline: limit }),
          check({ metric: 'distribution', vsBaseline: { ratio: 1.1, slack: 0 } }),
          check({ metric: 'errorRate', vsBaseline: { ratio: 2, slack: 0.001 }, critical: true }),
        ],
      }),
    );
    const [p99, p50] = v.checks;
    expect(p99?.status).toBe('fail');
    expect(p99?.needSamples).toBeUndefined();
    expect(p99?.reason).toMatch(
      /^canary p99 7\d\.\d ms .* exceeds baseline p99 5\d\.\d ms .* × 1\.1 \+ 1 ms = 6\d\.\d ms/,
    );
    expect(p50?.status).toBe('pass');
    // Even at an early look's budget (1e-6) the ratio itself is shown past the margin.
    const early = judgeStep(
      input({
        canary: arm(canary),
        baseline: arm(base),
        alpha: 1e-6,
        mayPass: false,
        checks: [check({ metric: 'p99', vsBaseline: limit })],
      }),
    );
    expect(early.checks[0]?.status).toBe('fail');
    expect(early.decision).toBe('rollback');
  });

  it('never passes a canary that fails every request, and never shows its p99 as 0 ms', () => {
    const base = Array.from({ length: 3000 }, logNormal(3, 20, 0.5));
    const v = judgeStep(
      input({
        canary: arm([], { failed: 1200 }),
        baseline: arm(base),
        checks: [check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } }), check({ metric: 'p50', max: 100 })],
        statistics: { minSamples: 200, maxIncrease: 0.05, inconclusive: 'continue' },
        finalLook: true,
      }),
    );
    expect(v.checks.map((c) => c.status)).toEqual(['fail', 'fail']);
    expect(v.checks[0]?.observed).toBeNull();
    expect(v.checks[0]?.reason).toContain('1 200 of 1 200 canary requests failed without a response');
    expect(v.checks[0]?.reason).toMatch(/^canary p99 ∞ exceeds/);
    expect(v.decision).toBe('rollback');
    // With the request timeout known, failures count at it.
    const timed = judgeStep(
      input({ canary: arm([], { failed: 1200 }), checks: [check({ metric: 'p99', max: 500 })], timeoutMs: 2000 }),
    );
    expect(timed.checks[0]).toMatchObject({ status: 'fail', observed: 2000 });
  });

  it('rolls back on a critical check shown beyond its margin, names it, and no score outvotes it', () => {
    const base = Array.from({ length: 5000 }, logNormal(4, 20, 0.5));
    const canary = Array.from({ length: 5000 }, logNormal(5, 20, 0.5));
    const v = judgeStep(
      input({
        canary: arm(canary, { errors: 250 }),
        baseline: arm(base, { errors: 5 }),
        checks: [
          check({ metric: 'p50', vsBaseline: { ratio: 1.1, slack: 0 } }),
          check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } }),
          check({ metric: 'distribution', vsBaseline: { ratio: 1.1, slack: 0 } }),
          check({ metric: 'errorRate', vsBaseline: { ratio: 2, slack: 0.001 }, critical: true }),
        ],
        weights: { latency: 10, errors: 1 },
        passScore: 5,
      }),
    );
    expect(v.score.score).toBeGreaterThan(5);
    expect(v.decision).toBe('rollback');
    expect(v.decidedBy).toEqual(['errorRate']);
    expect(v.reason).toMatch(/^critical check errorRate failed: canary error rate 5% \(250\/5 000\) exceeds/);
  });

  it('never promotes a score under passScore, even counting inconclusive checks as passing', () => {
    const v = judgeStep(
      input({
        canary: arm(Array.from({ length: 100 }, () => 10)),
        checks: [check({ metric: 'p99', max: 5 }), check({ metric: 'p999', max: 100, group: 'tail' })],
        statistics: { minSamples: 200, maxIncrease: 0.05, inconclusive: 'continue' },
        finalLook: true,
      }),
    );
    expect(v.checks.map((c) => c.status)).toEqual(['fail', 'inconclusive']);
    expect(v.decision).toBe('rollback');
    expect(v.score.go).toBe(false);
    const lenient = judgeStep(
      input({
        canary: arm(Array.from({ length: 100 }, () => 10)),
        checks: [check({ metric: 'p999', max: 100 })],
        statistics: { minSamples: 200, maxIncrease: 0.05, inconclusive: 'continue' },
        finalLook: true,
      }),
    );
    // The score that decided is the one shown: the open check counted as passing.
    expect(lenient.decision).toBe('continue');
    expect(lenient.score).toMatchObject({ score: 10, go: true });
    expect(lenient.reason).toContain('counted as passing');
  });

  it('passes nothing at a look with no false-promotion budget', () => {
    const v = judgeStep(
      input({
        canary: arm(Array.from({ length: 5000 }, () => 10)),
        checks: [check({ metric: 'p99', max: 100 })],
        beta: 0,
      }),
    );
    expect(v.checks[0]?.status).toBe('inconclusive');
    expect(v.beta).toBe(0);
  });

  it('writes an open side readably', () => {
    // 100 samples cannot bound p99 from above at 5 %: the sentence says "≥", never "?".
    const v = judgeStep(
      input({
        canary: arm(Array.from({ length: 100 }, (_, i) => 1 + i)),
        checks: [check({ metric: 'p99', max: 500 })],
      }),
    );
    expect(v.checks[0]?.reason).toMatch(/^canary p99 [\d.]+ ms ≥ [\d.]+ ms against 500 ms: not decided on 100 samples/);
    expect(v.checks[0]?.reason).not.toContain('?');
  });
});

describe('the judge on windows: bursts, left-out windows, transients', () => {
  it('widens the interval when the canary’s slow requests come in bursts', () => {
    const draw = logNormal(6, 20, 0.5);
    const random = seededRandom(66);
    // 60 windows of 200: one in eight, at random, stalls (+200 ms for a fifth of its requests).
    const bursty = Array.from({ length: 60 }, () => {
      const stall = random() < 0.125;
      return Array.from({ length: 200 }, (_, i) => draw() + (stall && i < 40 ? 200 - i * 5 : 0));
    }).flat();
    const base = Array.from({ length: 24_000 }, draw);
    const c = [check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } })];
    const plain = judgeStep(input({ canary: arm(bursty), baseline: arm(base), checks: c }));
    const windowed = judgeStep(
      input({ canary: arm(bursty, { perWindow: 200 }), baseline: arm(base, { perWindow: 400 }), checks: c }),
    );
    const width = (v: typeof plain) => (v.checks[0]?.interval?.[1] ?? 0) - (v.checks[0]?.interval?.[0] ?? 0);
    expect(width(windowed)).toBeGreaterThan(1.5 * width(plain));
    expect(windowed.checks[0]?.reason).toMatch(/bursts: 12 000 canary samples count as [\d ]+ independent ones/);
  });

  it('leaves out windows the driver marks generator-limited, in both arms, and says so', () => {
    const draw = logNormal(7, 20, 0.5);
    const base = arm(Array.from({ length: 30 * 300 }, draw), { perWindow: 300 });
    // The canary is fine except in second 4, where the generator stalled 1 s before sending.
    const canaryMs = Array.from({ length: 30 * 100 }, (_, i) => draw() + (i >= 400 && i < 500 ? 1000 : 0));
    const canary = arm(canaryMs, { perWindow: 100 });
    const mark = (a: ArmStepMeasurements) => ({
      ...a,
      windows: a.windows?.map((w) => (w.startMs === 4000 ? { ...w, excluded: { kind: 'generator-limited' } } : w)),
    });
    const c = [check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } })];
    const unmarked = judgeStep(input({ canary, baseline: base, checks: c }));
    expect(unmarked.checks[0]?.status).toBe('fail');
    const marked = judgeStep(input({ canary: mark(canary), baseline: mark(base), checks: c }));
    expect(marked.checks[0]?.status).not.toBe('fail');
    expect(marked.checks[0]?.samples).toEqual({ canary: 2900, baseline: 8700 });
    expect(marked.excluded).toEqual([{ startMs: 4000, kind: 'generator-limited' }]);
    expect(marked.reason).toContain('[left out, deciding nothing: 1 window generator-limited]');
  });

  it('finds a warm-up transient common to both arms, leaves it out, and then catches the tail regression', () => {
    // The e2e run that promoted a regressed canary: both arms ×5 slower in the first second, which
    // inflated both p99s; the canary is slower only in the tail (p99 +30 %).
    const sigma = 0.5;
    const p95 = 20 * Math.exp(1.6449 * sigma);
    const warm = (ms: number, i: number, perWindow: number) => (i < perWindow ? ms * 5 : ms);
    const baseMs = Array.from({ length: 30 * 600 }, logNormal(8, 20, sigma)).map((v, i) => warm(v, i, 600));
    const canaryMs = Array.from({ length: 30 * 300 }, logNormal(9, 20, sigma))
      .map((v) => (v > p95 ? v * 1.3 : v))
      .map((v, i) => warm(v, i, 300));
    const c = [check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } })];
    const blind = judgeStep(input({ canary: arm(canaryMs), baseline: arm(baseMs), checks: c, alpha: 1e-3 }));
    expect(blind.checks[0]?.status).not.toBe('fail');
    const seeing = judgeStep(
      input({
        canary: arm(canaryMs, { perWindow: 300 }),
        baseline: arm(baseMs, { perWindow: 600 }),
        checks: c,
        alpha: 1e-3,
      }),
    );
    expect(seeing.excluded).toEqual([{ startMs: 0, kind: 'common transient', detail: 'both arms slowed at once' }]);
    expect(seeing.checks[0]?.status).toBe('fail');
    expect(seeing.reason).toContain('1 window common transient');
  });

  it('never calls a canary-only slowdown a common transient', () => {
    const baseMs = Array.from({ length: 30 * 300 }, logNormal(10, 20, 0.5));
    const canaryMs = Array.from({ length: 30 * 300 }, logNormal(11, 20, 0.5)).map((v, i) => (i < 300 ? v * 5 : v));
    const v = judgeStep(
      input({
        canary: arm(canaryMs, { perWindow: 300 }),
        baseline: arm(baseMs, { perWindow: 300 }),
        checks: [check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } })],
      }),
    );
    expect(v.excluded).toBeUndefined();
  });
});

describe('the 100 % step against the pooled baseline', () => {
  it('pools the baseline of earlier steps and names it in every sentence', () => {
    const steps = [1, 2, 3, 4].map((step) => ({
      step,
      arm: arm(Array.from({ length: 3000 }, logNormal(20 + step, 20, 0.5)), { perWindow: 100 }),
    }));
    const pooled = poolBaseline(steps);
    expect(pooled?.requests).toBe(12_000);
    expect(pooled?.pooledSteps).toEqual([1, 2, 3, 4]);
    const v = judgeStep(
      input({
        canary: arm(Array.from({ length: 12_000 }, logNormal(30, 20, 0.5)), { perWindow: 400 }),
        ...(pooled ? { baseline: pooled } : {}),
        checks: [check({ metric: 'p99', vsBaseline: { ratio: 1.1, slack: 0 } })],
      }),
    );
    expect(v.checks[0]?.reason).toContain('pooled baseline (steps 1–4) p99');
    expect(v.reason).toContain('(against the pooled baseline of steps 1–4)');
    expect(v.decision).toBe('continue');
  });

  it('keeps windows left out of their own step out of the pool', () => {
    const a = arm(
      Array.from({ length: 1000 }, () => 10),
      { perWindow: 100 },
    );
    const pooled = poolBaseline([{ step: 1, arm: a, excluded: [{ startMs: 0, kind: 'common transient' }] }]);
    expect(pooled?.windows?.[0]?.excluded).toEqual({ kind: 'common transient' });
    expect(pooled?.windows?.[1]?.excluded).toBeUndefined();
  });
});

describe('the common-transient rule', () => {
  /** Windows of `perWindow` latencies (ms) from `draw`, × factor(second). */
  const windows = (seed: number, seconds: number, perWindow: number, factor: (s: number) => number): ArmWindow[] => {
    const draw = logNormal(seed, 20, 0.6);
    return Array.from({ length: seconds }, (_, s) => ({
      startMs: s * 1000,
      durationMs: 1000,
      latency: bucketsFromUs(Array.from({ length: perWindow }, () => Math.round(draw() * factor(s) * 1000))),
      requests: perWindow,
      errors: 0,
    }));
  };

  it('catches the shoulders of a warm-up, where the whole window is only a little slower', () => {
    // × 5 decaying with a 1 s time constant: seconds 0–3 are × 5, 2.5, 1.5, 1.2 (the last is borderline).
    const warm = (s: number) => 1 + 4 * Math.exp(-s);
    const found = commonTransients(windows(1, 30, 333, warm), windows(2, 30, 3000, warm));
    expect([...found].sort((a, b) => a - b).slice(0, 3)).toEqual([0, 1000, 2000]);
    expect([...found].every((start) => start <= 4000)).toBe(true);
    // The same windows in one arm only are no common transient.
    expect(
      commonTransients(
        windows(1, 30, 333, warm),
        windows(2, 30, 3000, () => 1),
      ).size,
    ).toBe(0);
  });

  it('leaves nothing out when both arms move together most of the time', () => {
    // Both slow in every other second: that is how the service behaves, not a transient.
    const alternating = (s: number) => (s % 2 === 0 ? 1.5 : 1);
    expect(commonTransients(windows(3, 30, 500, alternating), windows(4, 30, 500, alternating)).size).toBe(0);
  });
});
