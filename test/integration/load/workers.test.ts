import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runLoad } from '../../../src/load/engine.js';
import { planFor } from '../../helpers/plan.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('worker threads', () => {
  it('split the rate, and the merged counts and histograms equal the sum of the workers', async () => {
    const result = await runLoad(
      planFor(server.url, { ratePerSec: 600, durationMs: 2000, workers: 2, connections: 20 }),
    );
    const parts = result.perWorker ?? [];
    expect(parts).toHaveLength(2);
    const sum = (pick: (r: (typeof parts)[number]) => number): number => parts.reduce((s, r) => s + pick(r), 0);
    const requests = sum((r) => r.arms[0]?.counters.requests ?? 0);
    expect(requests).toBe(1200);
    expect(result.total.counters.requests).toBe(requests);
    expect(result.total.counters.sent).toBe(sum((r) => r.arms[0]?.counters.sent ?? 0));
    expect(result.total.latency.totalCount).toBe(sum((r) => r.arms[0]?.latency.totalCount ?? 0));
    expect(result.total.service.totalCount).toBe(sum((r) => r.arms[0]?.service.totalCount ?? 0));
    // Each worker ran half of the schedule.
    expect(parts.map((r) => r.arms[0]?.counters.requests)).toEqual([600, 600]);
    // The merged maximum is the larger of the workers' maxima: buckets add, nothing is averaged.
    expect(result.total.latency.maxValue).toBe(Math.max(...parts.map((r) => r.arms[0]?.latency.maxValue ?? 0)));
    expect(server.seen.length).toBeGreaterThanOrEqual(1200);
    // Intervals from both workers are merged into one series.
    const points = result.intervals.target ?? [];
    expect(points.reduce((s, p) => s + p.requests, 0)).toBe(1200);
  });

  it('run the closed model too, with the request cap split exactly', async () => {
    const result = await runLoad(
      planFor(server.url, { durationMs: 5000, workers: 2, connections: 4, maxRequests: 301 }),
    );
    expect(result.model).toBe('closed');
    expect(result.total.counters.requests).toBe(301);
    expect(result.perWorker?.map((r) => r.arms[0]?.counters.requests)).toEqual([151, 150]);
  });

  it('end by themselves when the load is done or aborted: none is terminated', async () => {
    // A thread terminated inside zlib (it deflates histograms for the wire) between creating a
    // handle and initializing it aborts this whole process as it is torn down (run-in-workers.ts
    // says more). Worker's methods are observed, not replaced: every thread is real, and each
    // one's exit code is read from the first listener the load adds (terminate() makes it 1).
    const exits = new Map<Worker, Promise<number>>();
    const on = Worker.prototype.on as (this: Worker, event: string, listener: (...args: never[]) => void) => Worker;
    const observe = vi.spyOn(Worker.prototype, 'on').mockImplementation(function (
      this: Worker,
      event: string,
      listener: (...args: never[]) => void,
    ) {
      if (!exits.has(this)) exits.set(this, new Promise((resolve) => on.call(this, 'exit', resolve)));
      return on.call(this, event, listener);
    } as typeof Worker.prototype.on);
    const terminate = vi.spyOn(Worker.prototype, 'terminate');
    try {
      const done = await runLoad(planFor(server.url, { ratePerSec: 400, durationMs: 1200, workers: 2 }));
      expect(done.total.counters.requests).toBe(480);
      const controller = new AbortController();
      const aborted = await runLoad(planFor(server.url, { ratePerSec: 400, durationMs: 30_000, workers: 2 }), {
        signal: controller.signal,
        // Aborted once the first second is reported, while both workers cut their intervals.
        onProgress: () => controller.abort(),
      });
      expect(aborted.aborted).toBe(true);
      expect(exits.size).toBe(4);
      expect(await Promise.all(exits.values())).toEqual([0, 0, 0, 0]);
      expect(terminate).not.toHaveBeenCalled();
    } finally {
      observe.mockRestore();
      terminate.mockRestore();
    }
  });
});
