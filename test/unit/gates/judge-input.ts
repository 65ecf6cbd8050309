/** Shared by the judge's tests: a check with its unit and group filled in, and a look's input. */
import type { JudgeInput } from '../../../src/gates/judge.js';
import type { Check } from '../../../src/scenario/schema.js';

/** A check of `metric` with the unit and group the schema would give it (not critical). */
export const check = (extra: Partial<Check> & Pick<Check, 'metric'>): Check => ({
  name: extra.metric,
  unit: extra.metric === 'errorRate' ? 'fraction' : extra.metric === 'throughput' ? 'perSec' : 'ms',
  critical: false,
  group: extra.metric === 'errorRate' ? 'errors' : 'latency',
  ...extra,
});

/** A look that may pass, not the last, alpha 0.01, minSamples 200, policy rollback. */
export function input(overrides: Partial<JudgeInput> & Pick<JudgeInput, 'canary' | 'checks'>): JudgeInput {
  return {
    statistics: { minSamples: 200, maxIncrease: 0.05, inconclusive: 'rollback' },
    weights: {},
    passScore: 7,
    alpha: 0.01,
    mayPass: true,
    finalLook: false,
    ...overrides,
  };
}
