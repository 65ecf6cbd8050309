/** A scenario's load as a plan for N shards: the flags' duration, warm-up and given rate; refused by file when it cannot split. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import type { ScenarioLoad } from '../../../src/load/scenario-plan.js';
import { scenarioShardPlan } from '../../../src/shard/split.js';
import { planFor } from '../../helpers/plan.js';

const scenario = (connections: number): ScenarioLoad => ({
  traffic: { rate: 50, connections, workers: 1, timeout: 2000 },
  requests: [{ method: 'POST', path: '/pay', headers: {}, weight: 1, body: '{}' }] as ScenarioLoad['requests'],
});
const flags = planFor('http://127.0.0.1:9', { durationMs: 30_000, warmupMs: 5000, ratePerSec: 900 });

describe('scenarioShardPlan', () => {
  it("takes the scenario's traffic and requests, the flags' targets, duration and warm-up", () => {
    const plan = scenarioShardPlan(scenario(8), flags, { shards: 4, rateGiven: false, file: 's.yaml' });
    expect(plan.targets).toEqual(flags.targets);
    expect([plan.durationMs, plan.warmupMs, plan.ratePerSec, plan.connections]).toEqual([30_000, 5000, 50, 8]);
    expect(plan.mix).toEqual([{ method: 'POST', path: '/pay', headers: {}, weight: 1, body: '{}' }]);
  });

  it("takes the flags' rate only when one was given", () => {
    expect(scenarioShardPlan(scenario(8), flags, { shards: 2, rateGiven: true, file: 's.yaml' }).ratePerSec).toBe(900);
  });

  it('names the file and every reason it cannot be split', () => {
    const call = () => scenarioShardPlan(scenario(2), flags, { shards: 4, rateGiven: false, file: 's.yaml' });
    expect(call).toThrow(UsageError);
    expect(call).toThrow(/^s\.yaml: cannot run as 4 shards:\n {2}- connections: expected at least one per worker/);
  });
});
