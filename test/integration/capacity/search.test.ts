import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { searchCapacity } from '../../../src/capacity/driver.js';
import type { CapacityTargetResult } from '../../../src/capacity/result.js';
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

// These searches run on two cores shared with other tests (and their worker threads winding
// down), so every figure has headroom against a busy neighbour: rates are low enough that the
// generator check (at least 20 requests issued over 10 ms behind schedule) needs a pause of
// 200 ms or more within one step to trip, and the SLO leaves 100 ms of latency noise on top of
// the service time.

/** The rates a search tried, with what it made of each; a retried step shows twice. */
const trail = (r: CapacityTargetResult): [number, string, boolean][] =>
  r.steps.map((st) => [st.offeredPerSec, st.outcome, st.retried]);

describe('capacity search against a service with a known capacity', () => {
  it('finds the highest SLO-compliant rate within 10% of K/T and says the server is the limit', async () => {
    // K = 2 requests at a time, T = 20 ms each: at most 100 requests/s. Below that latency is T;
    // above it the queue grows for the whole step (warm-up included, 2 s), so 5% over capacity
    // adds 2 s × 5/s / 100/s = 100 ms of queueing and p99 < 120 ms breaks, while a pause of up
    // to 100 ms at a compliant rate does not. At 100/s the generator check needs a pause of some
    // 200 ms to trip.
    const capacity = 2 / 0.02;
    const s = await service(2, 20);
    const started = performance.now();
    const result = await searchCapacity({
      label: 'target',
      plan: planFor(s.url, { connections: 100, timeoutMs: 2000 }),
      slo: slo('p99<120ms,errors<0.1%'),
      search: { startPerSec: 60, maxPerSec: 5000, factor: 2, precision: 0.05, maxSteps: 12 },
      stepDurationMs: 1500,
      warmupMs: 500,
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
    // (Near capacity a pause leaves a queue the little spare capacity drains slowly, and just above
    // it the queue grows too slowly to break the SLO within a step: only well below is it T.)
    const light = passing.filter((p) => p.offeredPerSec <= 0.8 * capacity);
    expect(light.length).toBeGreaterThan(0);
    for (const st of light) expect(st.latencyMs.p50).toBeLessThan(40);
    for (const st of failing) expect(st.saturation.limitedBy).toBe('server');
    // The curve: the ramp doubled the rate (a step run again after a pause is not the ramp's), and
    // a failing step's p99 is far above the SLO.
    const measured = result.steps.filter((st) => !st.retried);
    expect(measured.slice(0, 2).map((st) => st.offeredPerSec)).toEqual([60, 120]);
    expect(Math.max(...failing.map((st) => st.latencyMs.p99))).toBeGreaterThan(240);
    expect(result.knee?.ratePerSec).toBeLessThanOrEqual(capacity * 1.1);
  });
});

describe('capacity search with a saturated generator', () => {
  // The generator runs on this thread (one worker), the service on its own. The hog takes this
  // thread 60 ms of every 70: at 50/s about 70% of requests go out more than 10 ms behind their
  // intended time (some 35 a step, against a threshold of 20), however fast the service answers.
  const hog = { busyMs: 60, everyMs: 70 };

  it('says the limit is the generator when its own event loop cannot keep the schedule', async () => {
    const s = await service(64, 1);
    const stopHog = startCpuHog(hog);
    let result: CapacityTargetResult;
    try {
      result = await searchCapacity({
        label: 'target',
        plan: planFor(s.url, { connections: 50, timeoutMs: 2000 }),
        slo: slo('p99<500ms'),
        search: { startPerSec: 50, maxPerSec: 5000, factor: 2, precision: 0.05, maxSteps: 6 },
        stepDurationMs: 1000,
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
    expect(trail(result)).toEqual([
      [50, 'generator-limited', true],
      [50, 'generator-limited', false],
    ]);
    // The SLO itself held (p99 < 500 ms): only the generator check can have stopped the search.
    expect(first?.slo.pass).toBe(true);
    expect(first?.saturation.limitedBy).toBe('generator');
    expect(result.reason).toContain("the limit reached is the generator's, not the service's");
    expect(result.suggestion).toContain('--workers');
    expect(result.capacityPerSec).toBeNull();
  });

  it('runs a rate again when the generator fell behind once, and goes on when it keeps up', async () => {
    // The hog takes the generator's thread during the first step only (a busy neighbour). The
    // steps after it pass unless a pause of some 400 ms (at 50/s) or 200 ms (at 100/s) hits them.
    const s = await service(64, 1);
    const stopHog = startCpuHog(hog);
    try {
      const result = await searchCapacity({
        label: 'target',
        plan: planFor(s.url, { connections: 50, timeoutMs: 2000 }),
        slo: slo('p99<500ms'),
        search: { startPerSec: 50, maxPerSec: 100, factor: 2, precision: 0.05, maxSteps: 6 },
        stepDurationMs: 1000,
        warmupMs: 200,
        cooldownMs: 0,
        onStep: stopHog,
      });
      expect(trail(result)).toEqual([
        [50, 'generator-limited', true],
        [50, 'pass', false],
        [100, 'pass', false],
      ]);
      expect(result.verdict).toBe('max-reached');
      expect(result.capacityPerSec).toBe(100);
    } finally {
      stopHog();
    }
  });
});
