import { describe, expect, it } from 'vitest';
import { quantileOf, type SimCase, simulate } from '../../../src/gates/simulation.js';

// A small run of bench/judge-sim.js (docs/judge.md has the full table); bounds are loose because
// 20 rollouts estimate a rate only to about ±20 %.
const aa: SimCase = { name: 'A/A', dist: 'stalls', tailFactor: 1, baseErrorRate: 0.001, canaryErrorRate: 0.001 };
const tail50: SimCase = {
  name: '+50%',
  dist: 'lognormal',
  tailFactor: 1.5,
  baseErrorRate: 0.001,
  canaryErrorRate: 0.001,
};

describe('judge simulation (small)', () => {
  it('promotes A/A rollouts where a fixed threshold on point estimates rolls back', () => {
    const from = quantileOf('stalls', 0.95);
    const judge = simulate(aa, 1000, 20, 'canary-gate', from);
    const threshold = simulate(aa, 1000, 20, 'threshold', from);
    expect(judge.failRate).toBeLessThanOrEqual(0.1);
    expect(threshold.rollbackRate).toBeGreaterThan(judge.rollbackRate);
  });

  it('catches a +50 % tail regression on evidence', () => {
    const result = simulate(tail50, 1000, 10, 'canary-gate', quantileOf('lognormal', 0.95));
    expect(result.failRate).toBeGreaterThanOrEqual(0.9);
  });
});
