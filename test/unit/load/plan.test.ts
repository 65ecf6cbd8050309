import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../../src/errors.js';
import { assertValidPlan, ENGINE_LIMITS, type LoadPlan, planProblems, workerShare } from '../../../src/load/plan.js';
import { planFor } from '../../helpers/plan.js';

describe('load plan', () => {
  it('accepts a sound plan', () => {
    expect(planProblems(planFor('http://127.0.0.1:1', { ratePerSec: 10 }))).toEqual([]);
  });

  it('reports every problem at once, each naming its field', () => {
    const plan: LoadPlan = {
      targets: [{ arm: 'target', url: 'ftp://x', weight: 1 }],
      mix: [{ method: 'get', path: 'no-slash', weight: 1 }],
      ratePerSec: -5,
      durationMs: 0,
      connections: 0,
      pipelining: 1,
      workers: 1,
      timeoutMs: 1000,
    };
    const problems = planProblems(plan);
    expect(problems).toEqual([
      'targets[0].url: expected http: or https:, found "ftp:"',
      'mix[0].method: expected an upper-case HTTP method, found "get"',
      'mix[0].path: expected a path starting with "/", found "no-slash"',
      'rate: expected a positive number of requests per second, found -5',
      'duration: expected a positive duration, found 0ms',
      'connections: expected an integer >= 1, found 0',
    ]);
    expect(() => assertValidPlan(plan)).toThrow(ScenarioError);
  });

  it('splits rate, connections and the request cap so the shares add up', () => {
    const plan = planFor('http://127.0.0.1:1', { ratePerSec: 1000, connections: 7, workers: 3, maxRequests: 10 });
    const shares = [0, 1, 2].map((i) => workerShare(plan, i));
    expect(shares.map((s) => s.connections)).toEqual([3, 2, 2]);
    expect(shares.map((s) => s.maxRequests)).toEqual([4, 3, 3]);
    expect(shares.reduce((s, p) => s + (p.ratePerSec ?? 0), 0)).toBeCloseTo(1000, 9);
    expect(shares.every((s) => s.workers === 1)).toBe(true);
  });

  it('refuses what the engine cannot honour, naming the bound, before anything is sent', () => {
    const problems = planProblems(
      planFor('http://127.0.0.1:1', {
        ratePerSec: 1e8,
        durationMs: 1e300,
        connections: 1_000_000,
        workers: 2,
        timeoutMs: 1e12,
        pipelining: 10_000,
      }),
    );
    expect(problems).toEqual([
      `rate: expected at most ${2 * ENGINE_LIMITS.maxRatePerThread}/s (${ENGINE_LIMITS.maxRatePerThread}/s per worker thread × 2), found 100000000/s`,
      `duration: expected at most ${ENGINE_LIMITS.maxDurationMs}ms with the warm-up, found 1e+300ms`,
      `connections: expected at most ${ENGINE_LIMITS.maxConnections}, found 1000000`,
      `pipelining: expected at most ${ENGINE_LIMITS.maxPipelining}, found 10000`,
      `timeout: expected at most ${ENGINE_LIMITS.maxTimeoutMs}ms, found 1000000000000ms`,
    ]);
    const many = planFor('http://127.0.0.1:1', {
      mix: Array.from({ length: ENGINE_LIMITS.maxMixEntries + 1 }, () => ({ method: 'GET', path: '/', weight: 1 })),
    });
    expect(planProblems(many)).toEqual([`mix: expected at most ${ENGINE_LIMITS.maxMixEntries} requests, found 1001`]);
  });
});
