import { describe, expect, it } from 'vitest';
import { describePlan, renderPlan } from '../../../src/scenario/describe-plan.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import { MINIMAL } from '../../helpers/scenarios.js';

const plan = (extra: string) => describePlan(loadScenario(`${MINIMAL}${extra}`, { file: 's.yaml', env: {} }).scenario);

describe('resolved plan', () => {
  it('adds up warm-up and step durations, with and without extensions', () => {
    const p = plan(
      'traffic: { rate: 100/s, warmup: 2s, stepDuration: 10s, maxStepDuration: 30s }\nsteps: [25, 50, 100]\n',
    );
    expect(p.steps.map((s) => s.weight)).toEqual([25, 50, 100]);
    expect(p.totalMs).toEqual({ min: 36_000, max: 96_000 });
    const text = renderPlan(p);
    expect(text).toContain('total:    36s to 1m36s');
    expect(text).toContain('1.  25% canary: 2s warm-up + 10s measured (extendable to 30s)');
    expect(text).toContain('open model, 100/s');
  });

  it('describes checks in words', () => {
    const p = plan(`gates:
  checks:
    - { metric: p99, max: 250ms, vsBaseline: { ratio: 1.1, slack: 1ms } }
    - { metric: errorRate, max: 0.5%, critical: false }
`);
    expect(p.checks).toEqual([
      'p99: canary p99 ≤ 250ms; ≤ baseline × 1.1 + 1ms [latency]',
      'errorRate: canary errorRate ≤ 0.5% (score only) [errors]',
    ]);
  });

  it('lists the pre-flight health checks and says when nothing can fail a step', () => {
    const p = describePlan(
      loadScenario(
        MINIMAL.replace('url: http://127.0.0.1:18081', 'url: http://127.0.0.1:18081\n    health: [/health/ready]'),
        {
          file: 's.yaml',
          env: {},
        },
      ).scenario,
    );
    expect(p.preflight).toEqual(['canary http://127.0.0.1:18081/health/ready']);
    // No checks written: the defaults, said to be defaults; a list written empty fails nothing.
    expect(renderPlan(p)).toContain(
      'checks (the defaults: the scenario names none):\n    - p50: canary p50 ≤ baseline × 1.1 + 1ms',
    );
    const empty = describePlan(loadScenario(`${MINIMAL}gates: { checks: [] }\n`, { file: 's.yaml', env: {} }).scenario);
    expect(renderPlan(empty)).toContain('none (nothing can fail a step)');
    expect(p.load).toContain('closed model');
  });
});
