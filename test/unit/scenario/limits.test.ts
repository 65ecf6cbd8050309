import { describe, expect, it } from 'vitest';
import { ENGINE_LIMITS } from '../../../src/load/plan.js';
import { SCENARIO_LIMITS } from '../../../src/scenario/limits.js';

// scenario/ cannot import load/ (the architecture test forbids an upward import), so the
// scenario's bounds are constants of their own: here they are held to the engine's.
describe('scenario limits', () => {
  it('never accept more than the engine honours', () => {
    expect(SCENARIO_LIMITS.maxRatePerWorker).toBeLessThanOrEqual(ENGINE_LIMITS.maxRatePerThread);
    expect(SCENARIO_LIMITS.maxWorkers).toBeLessThanOrEqual(ENGINE_LIMITS.maxWorkers);
    expect(SCENARIO_LIMITS.maxConnections).toBeLessThanOrEqual(ENGINE_LIMITS.maxConnections);
    expect(SCENARIO_LIMITS.maxPipelining).toBeLessThanOrEqual(ENGINE_LIMITS.maxPipelining);
    expect(SCENARIO_LIMITS.maxRequests).toBeLessThanOrEqual(ENGINE_LIMITS.maxMixEntries);
    expect(SCENARIO_LIMITS.maxDurationMs).toBeLessThanOrEqual(ENGINE_LIMITS.maxDurationMs);
    expect(SCENARIO_LIMITS.maxTimeoutMs).toBeLessThanOrEqual(ENGINE_LIMITS.maxTimeoutMs);
    expect(SCENARIO_LIMITS.maxBodyChars).toBeLessThanOrEqual(ENGINE_LIMITS.maxBodyBytes);
  });
});
