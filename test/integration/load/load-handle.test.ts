/**
 * A load that keeps running: weights change without new connections, and measurements since a
 * mark are exact (histograms and counters), on one thread and over worker threads.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLoad } from '../../../src/load/engine.js';
import { planFor } from '../../helpers/plan.js';
import { progressSeconds } from '../../helpers/progress-seconds.js';
import { startTestServer } from '../../helpers/server.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/** A server answering 200 at once that counts the TCP connections it accepted. */
async function countingServer(): Promise<{ url: string; connections: () => number }> {
  let accepted = 0;
  const server: Server = createServer((_req, res) => res.end('ok'));
  server.on('connection', () => accepted++);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => accepted };
}

const nextInterval = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A 30 s open-model load (stopped early by the tests) over a baseline and a canary arm. */
function twoArms(
  baselineUrl: string,
  canaryUrl: string,
  weights: [number, number],
  ratePerSec: number,
  connections: number,
) {
  return startLoad(
    planFor(baselineUrl, {
      targets: [
        { arm: 'baseline', url: baselineUrl, weight: weights[0] },
        { arm: 'canary', url: canaryUrl, weight: weights[1] },
      ],
      ratePerSec,
      durationMs: 30_000,
      connections,
    }),
  );
}

describe('a running load', () => {
  it('moves weight between arms without a cold restart, and stops when told', async () => {
    const baseline = await startTestServer();
    const canary = await startTestServer();
    cleanup.push(baseline.close, canary.close);
    const handle = twoArms(baseline.url, canary.url, [9, 1], 400, 8);
    await nextInterval(1200);
    const first = handle.mark();
    await nextInterval(1000);
    const before = await handle.measurementsSince(first);
    handle.setWeights({ baseline: 1, canary: 1 });
    const second = handle.mark();
    await nextInterval(1000);
    const after = await handle.measurementsSince(second);
    const result = await handle.stop();

    const share = (w: typeof before, arm: string): number =>
      (w.arms.find((a) => a.arm === arm)?.counters.requests ?? 0) / Math.max(1, w.total.counters.requests);
    expect(share(before, 'canary')).toBeGreaterThan(0.05);
    expect(share(before, 'canary')).toBeLessThan(0.15);
    expect(share(after, 'canary')).toBeGreaterThan(0.4);
    expect(share(after, 'canary')).toBeLessThan(0.6);
    // Stopped long before its 30 s, with everything it sent measured.
    expect(result.aborted).toBe(false);
    expect(result.total.counters.requests).toBe(result.total.counters.sent);
    expect(result.total.counters.errors).toBe(0);
    // The load never paused: every whole second of the series carried requests.
    const seconds = result.intervals.baseline ?? [];
    expect(seconds.length).toBeGreaterThanOrEqual(3);
    for (const point of seconds.slice(0, -1)) expect(point.requests).toBeGreaterThan(0);
  });

  it('keeps its connections across weight changes: none beyond the caps, none reopened', async () => {
    const baseline = await countingServer();
    const canary = await countingServer();
    const handle = twoArms(baseline.url, canary.url, [1, 1], 300, 4);
    await nextInterval(1000);
    const changes: Record<string, number>[] = [
      { canary: 3 },
      { canary: 0 },
      { canary: 1, baseline: 0 },
      { baseline: 2 },
    ];
    for (const weights of changes) {
      handle.setWeights(weights);
      await nextInterval(400);
    }
    const result = await handle.stop();
    expect(result.total.counters.errors).toBe(0);
    expect(baseline.connections()).toBeGreaterThan(0);
    expect(baseline.connections()).toBeLessThanOrEqual(4);
    expect(canary.connections()).toBeGreaterThan(0);
    expect(canary.connections()).toBeLessThanOrEqual(4);
    expect(() => handle.setWeights({ nope: 1 })).toThrow(/nope: no such arm/);
    expect(() => handle.setWeights({ baseline: 0, canary: 0 })).toThrow(/at least one arm with a positive weight/);
  });

  it('reads exact measurements since a mark on one thread: windows add up to the whole', async () => {
    const server = await startTestServer();
    cleanup.push(server.close);
    const handle = startLoad(planFor(server.url, { ratePerSec: 500, durationMs: 30_000 }));
    const start = handle.mark();
    await nextInterval(700);
    // Read since the start and mark the next window in the same turn: nothing falls between.
    const firstPart = handle.measurementsSince(start);
    const middle = handle.mark();
    await nextInterval(700);
    const wholePart = handle.measurementsSince(start);
    const secondPart = handle.measurementsSince(middle);
    const [a, whole, b] = await Promise.all([firstPart, wholePart, secondPart]);
    await handle.stop();
    expect(a.total.counters.requests).toBeGreaterThan(100);
    expect(b.total.counters.requests).toBeGreaterThan(100);
    expect(a.total.counters.requests + b.total.counters.requests).toBe(whole.total.counters.requests);
    expect(a.total.latency.totalCount + b.total.latency.totalCount).toBe(whole.total.latency.totalCount);
    expect(a.total.service.totalCount + b.total.service.totalCount).toBe(whole.total.service.totalCount);
    expect(whole.total.latency.totalCount).toBe(whole.total.counters.requests);
    expect(whole.total.counters.statusCodes['200']).toBe(whole.total.counters.requests);
  });

  it('reads measurements since a mark over worker threads, merged exactly', async () => {
    const server = await startTestServer();
    cleanup.push(server.close);
    // Whole seconds as the workers count them (a second completes once both have reported it), not
    // the test thread's clock: beside the CI's other files the workers once started sending so
    // late that a mark 500 ms after the start held 485 requests of a nominal 900.
    const { onProgress, seconds } = progressSeconds();
    const handle = startLoad(planFor(server.url, { ratePerSec: 600, durationMs: 30_000, workers: 2 }), { onProgress });
    await seconds(1);
    const mark = handle.mark();
    await seconds(2);
    const window = await handle.measurementsSince(mark);
    handle.setWeights({ target: 2 });
    const result = await handle.stop();
    // About 2 s at 600/s, from both workers: not one worker's share (600), nor the whole run (1800).
    expect(window.total.counters.requests).toBeGreaterThan(900);
    expect(window.total.counters.requests).toBeLessThan(1600);
    expect(window.total.latency.totalCount).toBe(window.total.counters.requests);
    expect(result.total.counters.requests).toBeGreaterThan(window.total.counters.requests);
    expect(result.perWorker).toHaveLength(2);
    expect(result.total.counters.errors).toBe(0);
  });
});
