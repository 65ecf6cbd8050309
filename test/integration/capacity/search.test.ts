import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { searchCapacity } from '../../../src/capacity/driver.js';
import type { RunningService } from '../../../src/demo/service.js';
import { startDemoServiceThread } from '../../../src/demo/service-thread.js';
import { type Slo, sloOrProblems } from '../../../src/scenario/slo.js';
import { startCpuHog } from '../../helpers/cpu-hog.mjs';
import { planFor } from '../../helpers/plan.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

const slo = (text: string): Slo => {
  const parsed = sloOrProblems(text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.slo;
};

/** A service in its own thread (so its event loop is not the generator's) with a known limit. */
async function service(concurrency: number, serviceMs: number): Promise<RunningService> {
  const s = await startDemoServiceThread({ capacity: { concurrency, serviceMs } });
  cleanup.push(s.close);
  return s;
}

describe('capacity search against a service with a known capacity', () => {
  it('finds the highest SLO-compliant rate within 10% of K/T and says the server is the limit', async () => {
    // K = 4 requests at a time, T = 10 ms each: at most 400 requests/s. Below that latency is T;
    // above it the queue grows for the whole step, so p99 < 5·T breaks just above capacity.
    const capacity = 4 / 0.01;
    const s = await service(4, 10);
    const started = performance.now();
    const result = await searchCapacity({
      label: 'target',
      plan: planFor(s.url, { connections: 100, timeoutMs: 2000 }),
      slo: slo('p99<50ms,errors<0.1%'),
      search: { startPerSec: 150, maxPerSec: 5000, factor: 2, precision: 0.05, maxSteps: 12 },
      stepDurationMs: 1000,
      warmupMs: 400,
      cooldownMs: 500,
    });
    const seconds = (performance.now() - started) / 1000;
    const found = result.capacityPerSec as number;
    console.info(
      `capacity search: found ${found}/s (interval [${result.interval.lowPerSec}, ${result.interval.highPerSec})) against a known ${capacity}/s, ratio ${(found / capacity).toFixed(3)}, knee ${result.knee?.ratePerSec}/s, ${result.steps.length} steps in ${seconds.toFixed(1)} s`,
    );
    expect(result.verdict).toBe('found');
    expect(found / capacity).toBeGreaterThan(0.9);
    expect(found / capacity).toBeLessThan(1.1);
    expect(((result.interval.highPerSec as number) - found) / found).toBeLessThanOrEqual(0.05);
    // Below capacity the latency is the service time; the failing steps were the server's limit.
    const passing = result.steps.filter((st) => st.outcome === 'pass');
    const failing = result.steps.filter((st) => st.outcome === 'fail');
    expect(passing.length).toBeGreaterThan(0);
    expect(failing.length).toBeGreaterThan(0);
    for (const st of passing) expect(st.latencyMs.p50).toBeLessThan(15);
    for (const st of failing) expect(st.saturation.limitedBy).toBe('server');
    // The curve: the ramp doubled the rate, and a failing step's p99 is far above the SLO.
    expect(result.steps.slice(0, 3).map((st) => st.offeredPerSec)).toEqual([150, 300, 600]);
    expect(Math.max(...failing.map((st) => st.latencyMs.p99))).toBeGreaterThan(100);
    expect(result.knee?.ratePerSec).toBeLessThanOrEqual(capacity * 1.1);
  });
});

describe('capacity search with a saturated generator', () => {
  it('says the limit is the generator when its own event loop cannot keep the schedule', async () => {
    // A fast service (64 at a time, 1 ms each: 64000/s) and a generator whose thread is busy 30 ms
    // of every 40: requests go out up to 30 ms behind their intended time, however fast the
    // service answers. The generator runs on this thread (one worker), the service on its own.
    const s = await service(64, 1);
    const stopHog = startCpuHog({ busyMs: 30, everyMs: 40 });
    let result: Awaited<ReturnType<typeof searchCapacity>>;
    try {
      result = await searchCapacity({
        label: 'target',
        plan: planFor(s.url, { connections: 50, timeoutMs: 2000 }),
        slo: slo('p99<500ms'),
        search: { startPerSec: 200, maxPerSec: 5000, factor: 2, precision: 0.05, maxSteps: 6 },
        stepDurationMs: 600,
        warmupMs: 200,
        cooldownMs: 0,
      });
    } finally {
      stopHog();
    }
    const first = result.steps[0];
    console.info(
      `generator-limited: ${first?.generator.issuedBehind} of ${first?.requests} requests issued behind schedule, event-loop delay p99 ${first?.generator.eventLoopDelayP99Ms} ms`,
    );
    expect(result.verdict).toBe('generator-limited');
    // Falling behind once could be a busy neighbour: the rate is run again, and fell behind again.
    expect(result.steps.map((st) => [st.offeredPerSec, st.outcome, st.retried])).toEqual([
      [200, 'generator-limited', true],
      [200, 'generator-limited', false],
    ]);
    // The SLO itself held (p99 < 500 ms): only the generator check can have stopped the search.
    expect(first?.slo.pass).toBe(true);
    expect(first?.outcome).toBe('generator-limited');
    expect(first?.saturation.limitedBy).toBe('generator');
    expect(result.reason).toContain("the limit reached is the generator's, not the service's");
    expect(result.suggestion).toContain('--workers');
    expect(result.capacityPerSec).toBeNull();
  });

  it('runs a rate again when the generator fell behind once, and goes on when it keeps up', async () => {
    // The hog takes the generator's thread during the first step only (a busy neighbour).
    const s = await service(64, 1);
    const stopHog = startCpuHog({ busyMs: 30, everyMs: 40 });
    try {
      const result = await searchCapacity({
        label: 'target',
        plan: planFor(s.url, { connections: 50, timeoutMs: 2000 }),
        slo: slo('p99<500ms'),
        search: { startPerSec: 200, maxPerSec: 400, factor: 2, precision: 0.05, maxSteps: 6 },
        stepDurationMs: 600,
        warmupMs: 200,
        cooldownMs: 0,
        onStep: stopHog,
      });
      expect(result.steps.map((st) => [st.offeredPerSec, st.outcome, st.retried])).toEqual([
        [200, 'generator-limited', true],
        [200, 'pass', false],
        [400, 'pass', false],
      ]);
      expect(result.verdict).toBe('max-reached');
      expect(result.capacityPerSec).toBe(400);
    } finally {
      stopHog();
    }
  });
});
