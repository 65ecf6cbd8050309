import { describe, expect, it } from 'vitest';
import { planPower } from '../../../src/gates/plan-power.js';
import {
  EXTENSION_SHARE,
  lookBudget,
  plannedStepSamples,
  SPENDING_START,
  type SpendingState,
  spentBy,
  stepAlpha,
} from '../../../src/gates/spending.js';
import type { Check } from '../../../src/scenario/schema.js';

const relative = (metric: Check['metric'], ratio = 1.1): Check => ({
  name: metric,
  metric,
  unit: metric === 'errorRate' ? 'fraction' : 'ms',
  vsBaseline: { ratio, slack: metric === 'errorRate' ? 0.001 : 0 },
  critical: true,
  group: metric === 'errorRate' ? 'errors' : 'latency',
});

describe('budgets over the looks of a step', () => {
  it('plans samples per arm from rate × weight × duration', () => {
    expect(plannedStepSamples(100, 10, 120_000)).toEqual({ canary: 1200, baseline: 10_800 });
    expect(plannedStepSamples(100, 100, 120_000)).toEqual({ canary: 12_000, baseline: 0 });
    expect(stepAlpha(0.01, 5)).toBeCloseTo(0.002, 12);
  });

  it('spends most of alpha and beta by the planned samples, the rest over the extensions, never more', () => {
    const step = { alpha: 0.002, beta: 0.05, plannedSamples: 3000, maxSamples: 9000 };
    let state: SpendingState = SPENDING_START;
    let alpha = 0;
    let beta = 0;
    // Looks every 1000 samples; passes only from the planned 3000 on.
    for (let n = 1000; n <= 9000; n += 1000) {
      const look = lookBudget(step, state, n, n >= 3000, n === 9000);
      state = look.state;
      alpha += look.alpha;
      beta += look.beta;
      if (n < 3000) expect(look.beta).toBe(0);
      if (n === 3000) {
        expect(alpha).toBeCloseTo((1 - EXTENSION_SHARE) * 0.002, 12);
        expect(look.beta).toBeCloseTo((1 - EXTENSION_SHARE) * 0.05, 12);
      }
    }
    expect(alpha).toBeCloseTo(0.002, 12);
    expect(beta).toBeCloseTo(0.05, 12);
    // Early looks get almost nothing: only an overwhelming regression rolls back at a third of the step.
    expect(spentBy(0.002, 1 / 3, 3)).toBeLessThan(1e-5);
  });

  it('gives a step without extensions its whole budget by the planned end, and a short step its share only', () => {
    const step = { alpha: 0.002, beta: 0.05, plannedSamples: 3000, maxSamples: 3000 };
    expect(lookBudget(step, SPENDING_START, 3000, true, false).alpha).toBeCloseTo(0.002, 12);
    // The generator fell behind: 2000 of 3000 planned samples at the planned end spend less.
    expect(lookBudget(step, SPENDING_START, 2000, true, false).beta).toBeLessThan(0.05);
    // The final look spends what is left whatever the count.
    expect(lookBudget(step, SPENDING_START, 2000, true, true).beta).toBeCloseTo(0.05, 12);
  });
});

describe('plan-time power', () => {
  it('says what the issue’s step can tell: 1 200 canary samples in 2 m, p99 at a 10 % margin', () => {
    const [first] = planPower({
      ratePerSec: 100,
      steps: [10, 25, 50, 75, 100],
      stepDurationMs: 120_000,
      checks: [relative('p99')],
      alpha: 0.01,
      beta: 0.05,
    });
    expect(first?.canarySamples).toBe(1200);
    const p99 = first?.checks[0];
    // se of ln p99 for a log-normal with σ 0.6: 0.6·√(0.99·0.01)/φ(2.326) · √(1/1200 + 1/10 800) = 0.068.
    expect(p99?.enough).toBe(false);
    expect(p99?.passesIdentical).toBeCloseTo(0.4, 1);
    // Caught with 95 %: 1.1 · e^{(z_α + z_β)·se} with α = 0.01 / 5 steps, β = 0.05.
    expect(p99?.catches).toBeGreaterThan(0.45);
    expect(p99?.catches).toBeLessThan(0.55);
    expect(p99?.samplesToPass).toBeGreaterThan(5_000);
    expect(p99?.samplesToPass).toBeLessThan(8_000);
    expect(first?.sentence).toBe(
      'step 1 (10 %): 1 200 canary samples in 2 m; p99 catches ≥ +50 % (margin +10 %); an identical canary passes 40 % of the time: for 95 % about 6 600 canary samples: raise the rate or the step duration',
    );
  });

  it('judges the 100 % step against the pooled baseline and says when a plan is enough', () => {
    const plan = planPower({
      ratePerSec: 2000,
      steps: [10, 25, 50, 75, 100],
      stepDurationMs: 60_000,
      maxStepDurationMs: 180_000,
      checks: [relative('p99'), relative('p50'), relative('distribution'), relative('errorRate', 2)],
      alpha: 0.01,
      beta: 0.05,
    });
    const last = plan[4];
    expect(last?.baselineSamples).toBe(
      [10, 25, 50, 75].reduce((s, w) => s + plannedStepSamples(2000, w, 60_000).baseline, 0),
    );
    expect(last?.sentence).toContain('against the pooled baseline of steps 1–4');
    expect(last?.sentence).toContain('(up to 360 000 with extensions)');
    expect(plan[1]?.checks.map((c) => c.enough)).toEqual([true, true, true, true]);
    // Bursts that cut the information by 4 show up as fewer effective samples.
    const bursty = planPower({
      ratePerSec: 2000,
      steps: [10],
      stepDurationMs: 60_000,
      checks: [relative('p99')],
      alpha: 0.01,
      beta: 0.05,
      designEffect: 4,
    });
    expect(bursty[0]?.checks[0]?.catches ?? 0).toBeGreaterThan(plan[0]?.checks[0]?.catches ?? 1);
    expect(bursty[0]?.checks[0]?.passesIdentical ?? 1).toBeLessThan(plan[0]?.checks[0]?.passesIdentical ?? 0);
  });

  it('says what it cannot know: an absolute bound, a maximum', () => {
    const [step] = planPower({
      ratePerSec: 100,
      steps: [10],
      stepDurationMs: 120_000,
      checks: [
        { name: 'p99', metric: 'p99', unit: 'ms', max: 100, critical: true, group: 'latency' },
        { name: 'max', metric: 'max', unit: 'ms', max: 500, critical: true, group: 'latency' },
      ],
      alpha: 0.01,
      beta: 0.05,
    });
    expect(step?.checks.map((c) => c.enough)).toEqual([null, null]);
    expect(step?.sentence).toContain('p99: an absolute bound, which the plan cannot place; the step resolves ±');
    expect(step?.sentence).toContain('max: the maximum has no interval');
  });
});
