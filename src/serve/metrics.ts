/** serve's own Prometheus metrics on /metrics: sessions, probe loads started, requests answered. */
import { Counter, Gauge, Registry } from 'prom-client';

/** The counters and gauges serve keeps. */
export interface ServeMetrics {
  registry: Registry;
  sessionsStarted: Counter<'controller'>;
  sessionsActive: Gauge;
  loadsStarted: Counter;
  requests: Counter<'route' | 'code'>;
}

/** A fresh registry with serve's metrics. */
export function createServeMetrics(): ServeMetrics {
  const registry = new Registry();
  return {
    registry,
    sessionsStarted: new Counter({
      name: 'canary_gate_serve_sessions_started_total',
      help: 'Sessions opened, by controller',
      labelNames: ['controller'],
      registers: [registry],
    }),
    sessionsActive: new Gauge({
      name: 'canary_gate_serve_sessions_active',
      help: 'Sessions open now',
      registers: [registry],
    }),
    loadsStarted: new Counter({
      name: 'canary_gate_serve_loads_started_total',
      help: 'Probe loads started by sessions: one per session, kept running while the controller moves the weight',
      registers: [registry],
    }),
    requests: new Counter({
      name: 'canary_gate_serve_requests_total',
      help: 'HTTP requests answered, by route and status code',
      labelNames: ['route', 'code'],
      registers: [registry],
    }),
  };
}
