import { describe, expect, it } from 'vitest';
import { isRunScenario, scenarioPower } from '../../../src/report/power.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import type { RunScenario } from '../../../src/scenario/schema.js';
import { MINIMAL } from '../../helpers/scenarios.js';

const scenario = (extra: string): RunScenario => {
  const s = loadScenario(`${MINIMAL}${extra}`, { file: 's.yaml', env: {} }).scenario;
  if (!isRunScenario(s)) throw new Error('expected a canary scenario');
  return s;
};
const CHECKS = `gates:
  checks:
    - { metric: p99, vsBaseline: { ratio: 1.1, slack: 0ms } }
    - { metric: errorRate, max: 1% }
`;

describe('plan-time power as validate and run print it', () => {
  it('one line per step, and a warning for each check an identical canary would often not pass', () => {
    const p = scenarioPower(
      scenario(`traffic: { rate: 300/s, stepDuration: 3s, maxStepDuration: 6s }\nsteps: [25, 100]\n${CHECKS}`),
    );
    expect(p.lines).toHaveLength(2);
    expect(p.lines[0]).toMatch(/^step 1 \(25 %\): 225 canary samples in 3 s/);
    expect(p.lines[1]).toContain('against the pooled baseline of step 1');
    expect(
      p.warnings.some((w) => /^step 1 \(25 %\): p99 catches ≥ .* raise the rate or the step duration$/.test(w)),
    ).toBe(true);
  });

  it('no warning when every step is long enough', () => {
    const p = scenarioPower(
      scenario(`traffic: { rate: 3000/s, stepDuration: 10s, maxStepDuration: 20s }\nsteps: [50, 100]\n${CHECKS}`),
    );
    expect(p.steps.every((s) => s.checks.every((c) => c.enough !== false))).toBe(true);
    expect(p.warnings).toEqual([]);
  });

  it('counts the bursts the scenario assumes (statistics.designEffect), and says so', () => {
    const traffic = 'traffic: { rate: 3000/s, stepDuration: 10s, maxStepDuration: 20s }\nsteps: [50, 100]\n';
    const p = scenarioPower(scenario(`${traffic}${CHECKS}  statistics: { designEffect: 10 }\n`));
    // 15 000 canary samples in bursts of 10 carry what 1 500 independent ones would: not enough.
    expect(p.lines[0]).toContain('15 000 canary samples in 10 s (bursts assumed: 1 500 independent)');
    expect(p.warnings.some((w) => /^step 1 \(50 %\): p99 catches/.test(w))).toBe(true);
    expect(p.lines[1]).toContain('against the pooled baseline of step 1 (measured earlier: compared across time');
  });

  it('a closed model plans no sample count and says so', () => {
    const p = scenarioPower(scenario(`traffic: { connections: 10, stepDuration: 10s }\n${CHECKS}`));
    expect(p.lines).toEqual([]);
    expect(p.note).toMatch(/closed model/);
  });
});
