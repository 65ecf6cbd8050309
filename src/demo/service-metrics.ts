/**
 * A demo service's own Prometheus metrics (prom-client, one registry per service): requests by
 * status code, latency, errors, cache hits and misses, and the process's memory and CPU.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** What a demo service records, and the registry /metrics serves. */
export interface ServiceMetrics {
  /** The registry /metrics serves. */
  registry: Registry;
  /** A request answered with `status` after `seconds`. */
  request: (status: number, seconds: number) => void;
  /** A cache lookup: hit or miss. */
  cache: (hit: boolean) => void;
}

/** Latency buckets, seconds: 1 ms to 10 s. */
export const DEMO_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Create the metrics of one demo service. */
export function createServiceMetrics(): ServiceMetrics {
  const registry = new Registry();
  // Process-wide figures (memory, CPU, event loop); a service thread reports its process's.
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'demo_http_requests_total',
    help: 'Requests answered, by status code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'demo_http_errors_total',
    help: 'Requests answered with 5xx.',
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'demo_http_request_duration_seconds',
    help: 'Time from request to response, seconds.',
    buckets: DEMO_LATENCY_BUCKETS,
    registers: [registry],
  });
  const cacheRequests = new Counter({
    name: 'demo_cache_requests_total',
    help: 'Cache lookups.',
    registers: [registry],
  });
  const hits = new Counter({ name: 'demo_cache_hits_total', help: 'Cache lookups that hit.', registers: [registry] });
  const misses = new Counter({
    name: 'demo_cache_misses_total',
    help: 'Cache lookups that missed.',
    registers: [registry],
  });
  // Zero series exist from the start, so rate() over them is 0 rather than empty.
  requests.inc({ code: '200' }, 0);
  requests.inc({ code: '500' }, 0);
  return {
    registry,
    request: (status, seconds) => {
      requests.inc({ code: String(status) });
      if (status >= 500) errors.inc();
      latency.observe(seconds);
    },
    cache: (hit) => {
      cacheRequests.inc();
      (hit ? hits : misses).inc();
    },
  };
}
