/** A load plan for one target with test-friendly defaults; override what the test is about. */
import type { LoadPlan } from '../../src/load/plan.js';

export function planFor(url: string, overrides: Partial<LoadPlan> = {}): LoadPlan {
  return {
    targets: [{ arm: 'target', url, weight: 1 }],
    mix: [{ method: 'GET', path: '/', weight: 1 }],
    durationMs: 1000,
    connections: 10,
    pipelining: 1,
    workers: 1,
    timeoutMs: 5000,
    ...overrides,
  };
}
