import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../../src/errors.js';
import { assertValidPlan, type LoadPlan, planProblems, workerShare } from '../../../src/load/plan.js';
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
});
