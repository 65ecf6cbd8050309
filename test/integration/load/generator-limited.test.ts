/**
 * A starved generator says so: when its own queue made the intended-time latency, the result is
 * generator-limited with the reason, while the service behind it is healthy; a stalling service
 * is not excused that way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningService } from '../../../src/demo/service.js';
import { startDemoServiceThread } from '../../../src/demo/service-thread.js';
import { spectrumMs } from '../../../src/hdr/histogram.js';
import { runLoad } from '../../../src/load/engine.js';
import { ENGINE_LIMITS } from '../../../src/load/plan.js';
import { startCpuHog } from '../../helpers/cpu-hog.mjs';
import { planFor } from '../../helpers/plan.js';
import { startTestServer } from '../../helpers/server.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function serviceThread(options: Parameters<typeof startDemoServiceThread>[0] = {}): Promise<RunningService> {
  const service = await startDemoServiceThread(options);
  cleanup.push(service.close);
  return service;
}

describe('a starved generator', () => {
  it('reports schedule lag when its thread is taken by a CPU hog, the service (another thread) being fast', async () => {
    const service = await serviceThread();
    // The hog takes 40 ms of every 50 ms of the generator's own thread.
    cleanup.push(startCpuHog({ busyMs: 40, everyMs: 50 }));
    const result = await runLoad(planFor(service.url, { ratePerSec: 400, durationMs: 2000 }));
    expect(result.total.counters.errors).toBe(0);
    expect(result.generator.limited).toBe(true);
    expect(result.generator.reasons.map((r) => r.code)).toContain('schedule-lag');
    expect(result.generator.limitedIntervals).toBeGreaterThan(0);
    expect(result.generatorIntervals.some((p) => p.limited)).toBe(true);
  });

  it('reports the connection cap when the cap is far below what the rate needs, the service answering in 20 ms', async () => {
    const server = await startTestServer(() => ({ delayMs: 20 }));
    cleanup.push(server.close);
    // 500/s at 20 ms needs about 10 connections; it has 2.
    const result = await runLoad(
      planFor(server.url, { ratePerSec: 500, durationMs: 1500, connections: 2, timeoutMs: 3000 }),
    );
    const latency = spectrumMs(result.total.latency);
    const service = spectrumMs(result.total.service);
    // The service stayed healthy: its own time is its 20 ms; the seconds of latency are the queue's.
    expect(service.p99).toBeLessThan(200);
    expect(latency.p99).toBeGreaterThan(10 * service.p99);
    expect(result.generator.limited).toBe(true);
    expect(result.generator.reasons[0]?.code).toBe('connection-cap');
    expect(result.generator.reasons[0]?.text).toContain('all 2 connections were busy');
    // Rates: what came back within the window, apart from what was sent.
    expect(result.throughput.completedPerSec).toBeLessThan(0.5 * 500);
  });
});

describe('a stalling service', () => {
  it('is not excused as generator-limited: the stall shows in the tail and the verdict stays with the service', async () => {
    // 150 ms freezes every second; 20 connections are plenty for 400/s between freezes.
    const service = await serviceThread({ stall: { everyMs: 1000, forMs: 150 } });
    const result = await runLoad(planFor(service.url, { ratePerSec: 400, durationMs: 3000, connections: 20 }));
    expect(spectrumMs(result.total.latency).p99).toBeGreaterThan(50);
    expect(result.generator.limited).toBe(false);
    expect(result.generator.limitedIntervals).toBe(0);
  });
});

describe('memory', () => {
  it('follows what is measured, not what is declared: the highest accepted rate against one hung connection', async () => {
    const server = await startTestServer(() => ({ hang: true }));
    cleanup.push(server.close);
    global.gc?.();
    const before = process.memoryUsage().rss;
    const started = performance.now();
    // 200 000 requests come due in a second with nowhere to go: they wait in the backlog ring
    // (12 bytes each) and are dropped at their timeout; nothing is built for the schedule.
    const result = await runLoad(
      planFor(server.url, {
        ratePerSec: ENGINE_LIMITS.maxRatePerThread,
        durationMs: 1000,
        connections: 1,
        timeoutMs: 1500,
      }),
    );
    const grewMb = (process.memoryUsage().rss - before) / 1024 / 1024;
    const c = result.total.counters;
    expect(c.requests).toBe(ENGINE_LIMITS.maxRatePerThread);
    // The one connection carried a request until its deadline, then the next one still in time.
    expect(c.sent + c.dropped).toBe(c.requests);
    expect(c.sent).toBeLessThan(10);
    expect(c.errorsByClass.timeout).toBe(c.requests);
    expect(grewMb).toBeLessThan(150);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
