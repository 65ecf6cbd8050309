/**
 * The per-request timeout bounds the whole exchange, and every error the client raises reaches
 * the result (issue #14, items 1 and 2), against real servers on 127.0.0.1.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { spectrumMs } from '../../../src/hdr/histogram.js';
import { runLoad } from '../../../src/load/engine.js';
import { planFor } from '../../helpers/plan.js';
import { startTestServer } from '../../helpers/server.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/** A server that answers 200 with a body written one byte every `everyMs`, `bytes` bytes (Infinity: forever). */
async function dribbleBody(bytes: number, everyMs: number): Promise<string> {
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createHttpServer((_req, res) => {
    res.writeHead(200, Number.isFinite(bytes) ? { 'content-length': String(bytes) } : {});
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= bytes) {
        clearInterval(timer);
        timers.delete(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write('x');
      sent++;
    }, everyMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const timer of timers) clearInterval(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A raw server that writes the response's status line and headers one byte every `everyMs`. */
async function dribbleHeaders(everyMs: number): Promise<string> {
  const sockets = new Set<Socket>();
  const head = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-slow: yes\r\n\r\nok');
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      let at = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || at >= head.length) {
          clearInterval(timer);
          return;
        }
        socket.write(head.subarray(at, at + 1));
        at++;
      }, everyMs);
      socket.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the per-request timeout bounds the whole exchange', () => {
  it('cuts a body that dribbles forever at the timeout, records a timeout there, and the load ends', async () => {
    const url = await dribbleBody(Number.POSITIVE_INFINITY, 200);
    const started = performance.now();
    const result = await runLoad(planFor(url, { ratePerSec: 2, durationMs: 2000, timeoutMs: 1000 }));
    const tookMs = performance.now() - started;
    const c = result.total.counters;
    expect(c.requests).toBe(4);
    expect(c.errorsByClass.timeout).toBe(4);
    expect(c.responses).toBe(0);
    // Every request is in the histogram at the timeout (plus a little send lag).
    const latency = spectrumMs(result.total.latency);
    expect(result.total.latency.totalCount).toBe(4);
    expect(latency.min).toBeGreaterThanOrEqual(1000);
    expect(latency.max / 1000).toBeLessThan(1.2);
    // The last request went out at 1.5 s and was cut at its deadline: the load ends, well
    // before a dribble would (never).
    expect(tookMs).toBeLessThan(5000);
  });

  it('counts a finite dribble longer than the timeout as a timeout, not a slow success', async () => {
    // 20 bytes at 200 ms each: 4 s for the body, with a 1 s timeout.
    const url = await dribbleBody(20, 200);
    const result = await runLoad(planFor(url, { ratePerSec: 2, durationMs: 1000, timeoutMs: 1000 }));
    const c = result.total.counters;
    expect(c.requests).toBe(2);
    expect(c.errorsByClass.timeout).toBe(2);
    expect(c.responses).toBe(0);
    expect(spectrumMs(result.total.latency).max / 1000).toBeLessThan(1.2);
  });

  it('cuts headers that dribble the same way', async () => {
    const url = await dribbleHeaders(100);
    const started = performance.now();
    const result = await runLoad(planFor(url, { ratePerSec: 2, durationMs: 1000, timeoutMs: 1000 }));
    expect(result.total.counters.errorsByClass.timeout).toBe(2);
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('cuts the closed model too', async () => {
    const url = await dribbleBody(Number.POSITIVE_INFINITY, 200);
    const started = performance.now();
    const result = await runLoad(planFor(url, { connections: 2, durationMs: 1500, timeoutMs: 500 }));
    const c = result.total.counters;
    expect(c.requests).toBeGreaterThanOrEqual(4);
    expect(c.errorsByClass.timeout).toBe(c.requests);
    expect(performance.now() - started).toBeLessThan(4000);
  });
});

describe('errors the client raises', () => {
  it.each(['open', 'closed'] as const)(
    'reach the result, classified and counted by code, and never hang (%s model)',
    async (model) => {
      const server = await startTestServer();
      cleanup.push(server.close);
      const started = performance.now();
      // undici refuses a path with a space (UND_ERR_INVALID_ARG) before anything is written.
      const result = await runLoad(
        planFor(server.url, {
          ...(model === 'open' ? { ratePerSec: 200 } : { connections: 2, maxRequests: 300 }),
          durationMs: 1000,
          mix: [
            { method: 'GET', path: '/api?x=a b', weight: 1 },
            { method: 'GET', path: '/ok', weight: 1 },
          ],
        }),
      );
      const c = result.total.counters;
      expect(c.errorsByClass.other).toBeGreaterThan(0);
      expect(c.errorCodes.UND_ERR_INVALID_ARG).toBe(c.errorsByClass.other);
      expect(result.arms[0]?.endpoints[0]?.errors).toBe(c.errorsByClass.other);
      // The good half of the mix still reached the server.
      expect(c.responses).toBeGreaterThan(0);
      expect(server.seen.every((r) => r.url === '/ok')).toBe(true);
      if (model === 'open') expect(c.requests).toBe(200);
      expect(performance.now() - started).toBeLessThan(5000);
    },
  );
});
