import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../../src/load/engine.js';
import { summarizeLoad } from '../../../src/report/load-summary.js';
import { planFor } from '../../helpers/plan.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((req) => (req.url === '/slow' ? { delayMs: 20 } : {}));
});
afterAll(() => server.close());

describe('closed model', () => {
  it('keeps the connections busy and says that it is not CO-corrected', async () => {
    const result = await runLoad(planFor(server.url, { connections: 4, durationMs: 1000 }));
    const summary = summarizeLoad(result);
    expect(summary.model).toBe('closed');
    expect(summary.coCorrected).toBe(false);
    expect(summary.note).toMatch(/NOT corrected for coordinated omission/);
    expect(summary.rate.target).toBeNull();
    expect(summary.requests).toBeGreaterThan(200);
    expect(summary.errors).toBe(0);
  });

  it('does not record the warm-up', async () => {
    server.seen.length = 0;
    const result = await runLoad(planFor(server.url, { connections: 2, warmupMs: 500, durationMs: 500 }));
    const measured = result.total.counters.requests;
    const warmup = server.seen.length - measured;
    // Equal halves of time at the same concurrency: the warm-up sent roughly as many as were
    // measured. It also opens the connections, so on a busy machine it sends fewer (0.44 seen in CI).
    expect(warmup / measured).toBeGreaterThan(0.25);
    expect(warmup / measured).toBeLessThan(2);
    expect(result.total.latency.totalCount).toBe(measured);
  });

  it('runs at the concurrency it is given: throughput follows connections / latency', async () => {
    // 20 ms per request: 4 connections give about 200/s, 8 about 400/s.
    const four = await runLoad(
      planFor(server.url, { connections: 4, durationMs: 1000, mix: [{ method: 'GET', path: '/slow', weight: 1 }] }),
    );
    const eight = await runLoad(
      planFor(server.url, { connections: 8, durationMs: 1000, mix: [{ method: 'GET', path: '/slow', weight: 1 }] }),
    );
    const ratio = eight.total.counters.requests / four.total.counters.requests;
    expect(ratio).toBeGreaterThan(1.6);
    expect(ratio).toBeLessThan(2.4);
  });

  it('pipelines requests on each connection when asked', async () => {
    // A raw server that works on every pipelined request at once (Node's http server would
    // answer them one by one): each request is answered 20 ms after it arrives, in order.
    const raw = createNetServer((socket) => {
      socket.on('data', (chunk) => {
        const requests = chunk.toString('latin1').split('\r\n\r\n').length - 1;
        for (let i = 0; i < requests; i++) {
          setTimeout(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), 20);
        }
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    try {
      const single = await runLoad(planFor(url, { connections: 2, pipelining: 1, durationMs: 1000 }));
      const piped = await runLoad(planFor(url, { connections: 2, pipelining: 4, durationMs: 1000 }));
      const ratio = piped.total.counters.requests / single.total.counters.requests;
      expect(ratio).toBeGreaterThan(3);
      expect(ratio).toBeLessThan(5);
      expect(piped.total.counters.errors).toBe(0);
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });
  it('counts a refused port as errors and ends, never a crash inside the client', async () => {
    // A port that was just free: nothing listens there, so every connect is refused at once.
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await runLoad(planFor(`http://127.0.0.1:${port}/`, { connections: 4, durationMs: 300 }));
    expect(result.total.counters.requests).toBeGreaterThan(0);
    expect(result.total.counters.errors).toBe(result.total.counters.requests);
    expect(result.total.counters.errorsByClass.refused).toBe(result.total.counters.requests);
  });
});
