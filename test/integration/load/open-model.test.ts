import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningService } from '../../../src/demo/service.js';
import { startDemoServiceThread } from '../../../src/demo/service-thread.js';
import { spectrumMs } from '../../../src/hdr/histogram.js';
import { runLoad } from '../../../src/load/engine.js';
import { summarizeLoad } from '../../../src/report/load-summary.js';
import { planFor } from '../../helpers/plan.js';
import { closedPort, startTestServer, type TestServer } from '../../helpers/server.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function server(script?: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(script);
  cleanup.push(s.close);
  return s;
}

describe('open model', () => {
  it('reports a server freeze in p99 at the analytic value, while service time does not see it', async () => {
    // The server freezes its event loop for S ms every P ms (in its own thread). At a constant
    // rate, a share S/P of requests arrive during a freeze and wait out the rest of it, so
    // P(latency > x) = (S - x)/P and p99 = S·(1 − 0.01·P/S).
    const stallMs = 200;
    const periodMs = 1000;
    const service: RunningService = await startDemoServiceThread({ stall: { everyMs: periodMs, forMs: stallMs } });
    cleanup.push(service.close);
    // One connection: during a freeze the rest of the schedule waits for it, as in wrk2's
    // demonstration; the schedule does not slow down, so their latency still counts.
    const result = await runLoad(planFor(service.url, { ratePerSec: 400, durationMs: 8000, connections: 1 }));
    const latency = spectrumMs(result.total.latency);
    const service99 = spectrumMs(result.total.service).p99;
    const analyticP99 = stallMs * (1 - (0.01 * periodMs) / stallMs);
    expect(latency.p99 / analyticP99).toBeGreaterThan(0.85);
    expect(latency.p99 / analyticP99).toBeLessThan(1.15);
    expect(service99).toBeLessThan(0.1 * stallMs);
    expect(result.total.counters.late).toBeGreaterThan(0);
    expect(result.total.counters.errors).toBe(0);
  });

  it('holds the target rate at a moderate rate', async () => {
    const s = await server();
    const result = await runLoad(planFor(s.url, { ratePerSec: 1000, durationMs: 3000 }));
    const summary = summarizeLoad(result);
    expect(summary.requests).toBe(3000);
    expect(summary.rate.target).toBe(1000);
    expect(summary.rate.achieved / 1000).toBeGreaterThan(0.97);
    expect(summary.rate.achieved / 1000).toBeLessThan(1.03);
    expect(summary.errors).toBe(0);
    // Every second produced a point of the time series.
    expect(summary.intervals.target?.length).toBeGreaterThanOrEqual(3);
  });

  it('turns a down target into classified errors and a summary, not a crash', async () => {
    const port = await closedPort();
    const result = await runLoad(planFor(`http://127.0.0.1:${port}`, { ratePerSec: 50, durationMs: 1000 }));
    const summary = summarizeLoad(result);
    expect(summary.requests).toBe(50);
    expect(summary.errors).toBe(50);
    expect(summary.errorsByClass.refused).toBe(50);
    expect(summary.responses).toBe(0);
  });

  it('records timeouts at the timeout value in the histogram', async () => {
    const s = await server(() => ({ hang: true }));
    const result = await runLoad(planFor(s.url, { ratePerSec: 20, durationMs: 1000, timeoutMs: 300 }));
    const summary = summarizeLoad(result);
    expect(summary.errorsByClass.timeout).toBe(20);
    expect(result.total.latency.totalCount).toBe(20);
    // Latency from the intended send: the timeout plus at most a little scheduling lag.
    expect(summary.serviceMs.p50).toBeCloseTo(300, 0);
    expect(summary.latencyMs.p50 / 300).toBeLessThan(1.1);
  });

  it('classifies HTTP 4xx, 429 and 5xx and counts them as errors', async () => {
    const statusFor: Record<string, number> = { '/ok': 200, '/missing': 404, '/busy': 429, '/broken': 503 };
    const s = await server((req) => ({ status: statusFor[req.url ?? ''] ?? 200 }));
    const result = await runLoad(
      planFor(s.url, {
        ratePerSec: 200,
        durationMs: 1000,
        mix: Object.keys(statusFor).map((path) => ({ method: 'GET', path, weight: 1 })),
      }),
    );
    const summary = summarizeLoad(result);
    expect(summary.requests).toBe(200);
    expect(summary.errorsByClass).toMatchObject({ http4xx: 50, http429: 50, http5xx: 50 });
    expect(summary.errors).toBe(150);
    expect(summary.statusCodes).toEqual({ '200': 50, '404': 50, '429': 50, '503': 50 });
    expect(summary.arms.target?.endpoints['GET /missing']?.errors).toBe(50);
  });

  it('keeps the schedule when connections run out: late sends, and drops past the timeout', async () => {
    // Every request takes 200 ms and only 2 connections exist: the schedule (50/s) needs 10.
    const s = await server(() => ({ delayMs: 200 }));
    const result = await runLoad(planFor(s.url, { ratePerSec: 50, durationMs: 1000, connections: 2, timeoutMs: 400 }));
    const c = result.total.counters;
    expect(c.requests).toBe(50);
    expect(c.late).toBeGreaterThan(0);
    expect(c.dropped).toBeGreaterThan(0);
    expect(c.errorsByClass.timeout).toBeGreaterThanOrEqual(c.dropped);
    // Nothing waited for a connection without counting: sent + dropped = scheduled.
    expect(c.sent + c.dropped).toBe(50);
  });

  it('splits requests between arms by weight and follows the mix exactly', async () => {
    const baseline = await server();
    const canary = await server();
    const result = await runLoad(
      planFor(baseline.url, {
        targets: [
          { arm: 'baseline', url: baseline.url, weight: 3 },
          { arm: 'canary', url: `${canary.url}/v2`, weight: 1 },
        ],
        mix: [
          { method: 'GET', path: '/a', weight: 1 },
          {
            name: 'create',
            method: 'POST',
            path: '/b',
            body: '{"x":1}',
            headers: { 'content-type': 'application/json' },
            weight: 1,
          },
        ],
        ratePerSec: 400,
        durationMs: 1000,
      }),
    );
    const [b, c] = result.arms;
    expect(b?.counters.requests).toBe(300);
    expect(c?.counters.requests).toBe(100);
    expect(canary.seen.every((r) => r.url.startsWith('/v2/'))).toBe(true);
    expect(baseline.seen.filter((r) => r.method === 'POST')).toHaveLength(150);
    expect(b?.endpoints.map((e) => e.name)).toEqual(['GET /a', 'create']);
  });

  it('sends at the full rate during the warm-up but measures only after it', async () => {
    const s = await server();
    const result = await runLoad(planFor(s.url, { ratePerSec: 200, warmupMs: 1000, durationMs: 1000 }));
    expect(s.seen).toHaveLength(400);
    expect(result.total.counters.requests).toBe(200);
    expect(result.total.latency.totalCount).toBe(200);
    expect((result.intervals.target ?? []).reduce((sum, p) => sum + p.requests, 0)).toBe(200);
    expect(summarizeLoad(result).rate.achieved / 200).toBeGreaterThan(0.97);
  });

  it('stops at maxRequests', async () => {
    const s = await server();
    const result = await runLoad(planFor(s.url, { ratePerSec: 500, durationMs: 5000, maxRequests: 120 }));
    expect(result.total.counters.requests).toBe(120);
    expect(s.seen).toHaveLength(120);
  });

  it('stops promptly on abort and reports what it measured', async () => {
    const s = await server();
    const controller = new AbortController();
    const run = runLoad(planFor(s.url, { ratePerSec: 200, durationMs: 30_000 }), {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    const result = await run;
    expect(result.aborted).toBe(true);
    expect(result.total.counters.requests).toBeGreaterThan(100);
    expect(result.total.counters.requests).toBeLessThan(400);
  });
});

describe('transport errors', () => {
  it('classifies a connection the server resets', async () => {
    const s = await server((req) => {
      req.socket.destroy();
      return { hang: true };
    });
    const result = await runLoad(planFor(s.url, { ratePerSec: 20, durationMs: 500 }));
    const summary = summarizeLoad(result);
    expect(summary.requests).toBe(10);
    expect(summary.errorsByClass.reset).toBe(10);
  });

  it('classifies a certificate the client cannot verify as tls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-gate-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tls = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => res.end('ok'),
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => tls.close(() => resolve())));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
    const summary = summarizeLoad(await runLoad(planFor(url, { ratePerSec: 20, durationMs: 500 })));
    expect(summary.requests).toBe(10);
    expect(summary.errorsByClass.tls).toBe(10);
  });
});
