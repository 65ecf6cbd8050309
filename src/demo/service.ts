/**
 * Demo services: an HTTP server whose latency follows a log-normal distribution, with an error
 * rate and periodic event-loop stalls (a real freeze: the thread busy-waits, as a GC pause or a
 * blocking call would). /health/live and /health/ready always answer 200 at once. /metrics
 * serves its own Prometheus metrics (requests, latency, errors, cache hits and misses, memory),
 * so a real Prometheus can scrape it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { logNormalSampler, seededRandom } from '../util/random.js';
import { type DemoGuardOptions, demoGuard } from './guard.js';
import { createServiceMetrics } from './service-metrics.js';

/** How a demo service behaves. */
export interface DemoServiceOptions {
  /** Log-normal latency: median in ms and shape sigma; absent means answer at once. */
  latency?: { medianMs: number; sigma: number };
  /** Fraction of requests answered with 500. */
  errorRate?: number;
  /** Every `everyMs`, freeze the event loop for `forMs`. */
  stall?: { everyMs: number; forMs: number };
  /**
   * A latency regression, on from the start (`on`) or after `afterMs`: every latency × factor
   * (+ extraMs), or only latencies above `tailFromMs` × tailFactor (a tail-only regression with
   * the same median).
   */
  regression?: {
    factor?: number;
    extraMs?: number;
    tailFactor?: number;
    tailFromMs?: number;
    afterMs?: number;
    on?: boolean;
  };
  /** Share of requests its (simulated) cache answers, for the cache metrics; default 0.9. */
  cacheHitRatio?: number;
  /**
   * A known throughput limit: at most `concurrency` requests are served at a time, each taking
   * `serviceMs` (in place of the latency distribution), the rest wait in a FIFO queue. The limit is
   * concurrency / serviceMs × 1000 requests/s, exactly: completions are scheduled on a virtual
   * clock per slot, so timer lateness does not accumulate into a lower throughput.
   */
  capacity?: { concurrency: number; serviceMs: number };
  /** A token check and a per-client rate limit in front of the API (`demo --security`). */
  guard?: DemoGuardOptions;
  /** Seed of the service's random numbers, so runs repeat. */
  seed?: number;
  /** Address to listen on (loopback by default). */
  host?: string;
  /** Port (0 picks a free one). */
  port?: number;
}

/** A running demo service. */
export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  /** Its port. */
  port: number;
  /** Turn the regression on or off now. */
  setRegression: (on: boolean) => void | Promise<void>;
  /** Stop it and close its connections. */
  close: () => Promise<void>;
}

/** Start a demo service on this thread. */
export async function startDemoService(options: DemoServiceOptions = {}): Promise<RunningService> {
  const random = seededRandom(options.seed ?? 1);
  const sampleLatency = options.latency
    ? logNormalSampler(options.latency.medianMs, options.latency.sigma, random)
    : undefined;
  const errorRate = options.errorRate ?? 0;
  // Its own stream, so the cache draws leave the latency sequence of a seed unchanged.
  const cacheRandom = seededRandom((options.seed ?? 1) + 7919);
  const cacheHitRatio = options.cacheHitRatio ?? 0.9;
  const metrics = createServiceMetrics();
  const regression = options.regression;
  let regressed = regression?.on === true;
  const regress = (ms: number): number => {
    const tail = regression?.tailFromMs !== undefined && ms > regression.tailFromMs ? (regression.tailFactor ?? 1) : 1;
    return ms * (regression?.factor ?? 1) * tail + (regression?.extraMs ?? 0);
  };
  const regressionTimer =
    regression?.afterMs !== undefined
      ? setTimeout(() => {
          regressed = true;
        }, regression.afterMs)
      : undefined;
  const queue = options.capacity
    ? fixedCapacityQueue(options.capacity.concurrency, options.capacity.serviceMs)
    : undefined;
  const guard = options.guard ? demoGuard(options.guard, () => performance.now()) : undefined;
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/health/live' || url === '/health/ready') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (url === '/metrics') {
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      });
      return;
    }
    const refusal = guard?.(req.headers);
    if (refusal) {
      req.resume();
      res.writeHead(refusal.status, { 'content-type': 'application/json', ...refusal.headers }).end(refusal.body);
      return;
    }
    // Drain any request body before answering, so keep-alive connections stay usable.
    req.resume();
    const started = performance.now();
    const fail = errorRate > 0 && random() < errorRate;
    metrics.cache(cacheRandom() < cacheHitRatio);
    const answer = (): void => {
      if (fail) res.writeHead(500, { 'content-type': 'text/plain' }).end('injected error');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      metrics.request(fail ? 500 : 200, (performance.now() - started) / 1000);
    };
    const base = sampleLatency ? sampleLatency() : 0;
    const delayMs = regressed ? regress(base) : base;
    if (queue) queue(answer);
    else if (delayMs >= 1) setTimeout(answer, delayMs);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  let stallTimer: NodeJS.Timeout | undefined;
  if (options.stall) {
    const { everyMs, forMs } = options.stall;
    stallTimer = setInterval(() => {
      const until = performance.now() + forMs;
      while (performance.now() < until) {
        // Busy-wait on purpose: the freeze must block the event loop.
      }
    }, everyMs);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    setRegression: (on) => {
      regressed = on;
    },
    close: async () => {
      if (stallTimer) clearInterval(stallTimer);
      if (regressionTimer) clearTimeout(regressionTimer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A FIFO in front of `concurrency` slots that each take `serviceMs` per request. Each slot keeps
 * the virtual time it is next free; a request starts at the later of now and that time, so the
 * slots' throughput is exact even when a timer fires late.
 */
function fixedCapacityQueue(concurrency: number, serviceMs: number): (answer: () => void) => void {
  const freeAtMs = new Array<number>(Math.max(1, Math.floor(concurrency))).fill(0);
  return (answer) => {
    const now = performance.now();
    let slot = 0;
    for (let i = 1; i < freeAtMs.length; i++) if ((freeAtMs[i] as number) < (freeAtMs[slot] as number)) slot = i;
    const doneAtMs = Math.max(now, freeAtMs[slot] as number) + serviceMs;
    freeAtMs[slot] = doneAtMs;
    setTimeout(answer, doneAtMs - now);
  };
}
