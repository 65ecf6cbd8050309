import { describe, expect, it } from 'vitest';
import { type ArmStepMeasurements, judgeStep } from '../../../src/gates/judge.js';
import { createHistogram } from '../../../src/metrics/hdr.js';
import type { Check } from '../../../src/scenario/schema.js';

/** An arm whose latencies are `ms` (each recorded once), with `errors` errors. */
function arm(ms: number[], errors = 0, durationMs = 1000): ArmStepMeasurements {
  const latency = createHistogram();
  for (const v of ms) latency.recordValue(Math.round(v * 1000));
  return { latency, requests: ms.length, errors, durationMs };
}
const spread = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

const p99 = (extra: Partial<Check>): Check => ({
  name: 'p99',
  metric: 'p99',
  unit: 'ms',
  critical: false,
  group: 'latency',
  ...extra,
});

describe('judge (absolute and point-relative checks)', () => {
  it.each([
    ['passes under an absolute bound', p99({ max: 120 }), arm(spread(200, 1, 100)), undefined, 'continue', 'pass'],
    ['fails over an absolute bound', p99({ max: 50 }), arm(spread(200, 1, 100)), undefined, 'rollback', 'fail'],
    [
      'fails over baseline × ratio + slack',
      p99({ vsBaseline: { ratio: 1.1, slack: 1 } }),
      arm(spread(200, 1, 100)),
      arm(spread(200, 1, 50)),
      'rollback',
      'fail',
    ],
    [
      'passes within baseline × ratio + slack',
      p99({ vsBaseline: { ratio: 1.1, slack: 1 } }),
      arm(spread(200, 1, 100)),
      arm(spread(200, 1, 95)),
      'continue',
      'pass',
    ],
    [
      'is inconclusive with too few samples',
      p99({ max: 1 }),
      arm(spread(50, 1, 100)),
      undefined,
      'extend',
      'inconclusive',
    ],
  ])('%s', (_name, check, canary, baseline, decision, status) => {
    const verdict = judgeStep({
      canary,
      ...(baseline ? { baseline } : {}),
      checks: [check],
      minSamples: 100,
      finalLook: false,
    });
    expect(verdict.decision).toBe(decision);
    expect(verdict.checks[0]?.status).toBe(status);
    expect(verdict.checks[0]?.reason).toBeTruthy();
  });

  it('never passes an inconclusive check: at the last look it rolls back', () => {
    const verdict = judgeStep({
      canary: arm(spread(10, 1, 2)),
      checks: [p99({ max: 100 })],
      minSamples: 100,
      finalLook: true,
    });
    expect(verdict.decision).toBe('rollback');
    expect(verdict.reason).toContain('still inconclusive');
  });

  it('rolls back at once on a failed critical check, naming it', () => {
    const errors: Check = {
      name: 'errors',
      metric: 'errorRate',
      unit: 'fraction',
      max: 0.01,
      critical: true,
      group: 'errors',
    };
    const verdict = judgeStep({
      canary: arm(spread(200, 1, 2), 10),
      checks: [errors, p99({ max: 100 })],
      minSamples: 100,
      finalLook: false,
    });
    expect(verdict.decision).toBe('rollback');
    expect(verdict.reason).toContain('critical check errors failed');
    expect(verdict.checks[0]?.observed).toBeCloseTo(0.05, 5);
  });

  it('checks throughput against a minimum', () => {
    const throughput: Check = {
      name: 'tp',
      metric: 'throughput',
      unit: 'perSec',
      min: 500,
      critical: false,
      group: 'throughput',
    };
    expect(
      judgeStep({ canary: arm(spread(400, 1, 2)), checks: [throughput], minSamples: 100, finalLook: false }).decision,
    ).toBe('rollback');
    expect(
      judgeStep({ canary: arm(spread(600, 1, 2)), checks: [throughput], minSamples: 100, finalLook: false }).decision,
    ).toBe('continue');
  });
});
