/**
 * canary-gate's own metrics for Prometheus (prom-client): the current step and weight, requests
 * by arm and status class, latency per arm as a histogram (whole run) and as quantiles of the
 * current step read off the HDR histograms, each check's status, the score and the decision.
 * Served on /metrics during a run; pushed to a Pushgateway at its end.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Pushgateway, Registry } from 'prom-client';
import type { CheckResult } from '../gates/verdict.js';
import { createHistogram, cumulativeCountsMs, type Histogram } from '../hdr/histogram.js';
import type { IntervalArmSample } from '../load/recorder.js';

/** Latency histogram buckets, seconds: 1 ms to 10 s. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Quantiles the step summary exposes. */
export const STEP_QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999] as const;

/** Every status a check can have, one series each (a state set). */
const CHECK_STATUSES = ['pass', 'fail', 'inconclusive', 'error'] as const;

/** Decision states, "running" until the run ends. */
const DECISIONS = ['running', 'promote', 'rollback', 'aborted', 'interrupted'] as const;

/** Status classes by IntervalArmSample.statusClasses index. */
const STATUS_CLASS = ['error', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Names of every metric this exporter serves (the dashboard test checks against them). */
export const EXPORTED_METRICS = [
  'canary_gate_info',
  'canary_gate_step',
  'canary_gate_steps',
  'canary_gate_weight_percent',
  'canary_gate_requests_total',
  'canary_gate_errors_total',
  'canary_gate_latency_seconds',
  'canary_gate_step_latency_seconds',
  'canary_gate_check_status',
  'canary_gate_check_observed',
  'canary_gate_score',
  'canary_gate_decision',
] as const;

/** A metric whose values prom-client asks for at scrape time (prom-client's Metric contract). */
interface CollectedMetric {
  name: string;
  help: string;
  type: 'histogram' | 'summary';
  aggregator: 'sum';
  get: () => Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: 'sum';
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  }>;
  reset: () => void;
}

/** What a run tells the exporter, and the registry it serves. */
export class RunMetrics {
  readonly registry = new Registry();
  readonly #step = new Gauge({
    name: 'canary_gate_step',
    registers: [this.registry],
    help: 'Current step, from 1 (0 before the first).',
  });
  readonly #weight = new Gauge({
    name: 'canary_gate_weight_percent',
    registers: [this.registry],
    help: 'Canary weight now, percent.',
  });
  readonly #requests = new Counter({
    name: 'canary_gate_requests_total',
    registers: [this.registry],
    help: 'Requests canary-gate measured, by arm and status class ("error": no response).',
    labelNames: ['arm', 'status_class'] as const,
  });
  readonly #errors = new Counter({
    name: 'canary_gate_errors_total',
    registers: [this.registry],
    help: 'Requests counted as errors, by arm.',
    labelNames: ['arm'] as const,
  });
  readonly #checkStatus = new Gauge({
    name: 'canary_gate_check_status',
    registers: [this.registry],
    help: "Each check's status at the last look: 1 for the current status, 0 for the others.",
    labelNames: ['check', 'status'] as const,
  });
  readonly #checkObserved = new Gauge({
    name: 'canary_gate_check_observed',
    registers: [this.registry],
    help: "Each check's observed canary value at the last look, in the check's unit (ms, fraction, per second, value).",
    labelNames: ['check', 'unit'] as const,
  });
  readonly #score = new Gauge({
    name: 'canary_gate_score',
    registers: [this.registry],
    help: 'Score of the last look, 0 to 10.',
  });
  readonly #decision = new Gauge({
    name: 'canary_gate_decision',
    registers: [this.registry],
    help: 'The run state: 1 for the current one ("running" until the end).',
    labelNames: ['decision'] as const,
  });
  /** Latency per arm over the whole run. */
  readonly #runLatency = new Map<string, Histogram>();
  /** Latency per arm in the current step. */
  readonly #stepLatency = new Map<string, Histogram>();

  /** `info` labels the run: run id, scenario name, router. */
  constructor(info: { run: string; scenario: string; router: string; steps: number }) {
    new Gauge({
      name: 'canary_gate_info',
      help: 'The run: always 1, with its id, scenario and router as labels.',
      labelNames: ['run', 'scenario', 'router'] as const,
      registers: [this.registry],
    }).set({ run: info.run, scenario: info.scenario, router: info.router }, 1);
    new Gauge({ name: 'canary_gate_steps', help: 'Steps planned.', registers: [this.registry] }).set(info.steps);
    this.registry.setDefaultLabels({ run: info.run });
    this.registry.registerMetric(this.#histogramMetric() as never);
    this.registry.registerMetric(this.#summaryMetric() as never);
    this.#setDecision('running');
  }

  /** A step began at `weight` percent. */
  step(index: number, weight: number): void {
    this.#step.set(index + 1);
    this.#weight.set(weight);
    this.#stepLatency.clear();
  }

  /** One second of measurements, per arm. */
  interval(samples: Readonly<Record<string, IntervalArmSample>>): void {
    for (const [arm, s] of Object.entries(samples)) {
      s.statusClasses.forEach((n, i) => {
        if (n > 0) this.#requests.inc({ arm, status_class: STATUS_CLASS[i] ?? 'error' }, n);
      });
      if (s.errors > 0) this.#errors.inc({ arm }, s.errors);
      for (const map of [this.#runLatency, this.#stepLatency]) {
        let h = map.get(arm);
        if (!h) {
          h = createHistogram();
          map.set(arm, h);
        }
        h.add(s.latency);
      }
    }
  }

  /** The judge's answer at a look. */
  verdict(checks: readonly CheckResult[], score: number): void {
    this.#score.set(score);
    for (const c of checks) {
      for (const status of CHECK_STATUSES)
        this.#checkStatus.set({ check: c.name, status }, c.status === status ? 1 : 0);
      if (c.observed !== null) this.#checkObserved.set({ check: c.name, unit: c.unit }, c.observed);
    }
  }

  /** The run ended with `decision`. */
  end(decision: Exclude<(typeof DECISIONS)[number], 'running'>): void {
    this.#setDecision(decision);
  }

  /** Serve /metrics on host:port; resolves with the URL once listening. */
  async serve(port: number, host: string): Promise<{ url: string; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.url !== '/metrics' && !req.url?.startsWith('/metrics?')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; metrics are at /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
    return {
      url: `http://${shown}:${address.port}/metrics`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  /** Push the current state to a Pushgateway (job "canary-gate", grouped by run). */
  async push(url: string, run: string, timeoutMs = 5000): Promise<void> {
    const gateway = new Pushgateway(url, { timeout: timeoutMs }, this.registry);
    await gateway.push({ jobName: 'canary-gate', groupings: { run } });
  }

  #setDecision(decision: (typeof DECISIONS)[number]): void {
    for (const d of DECISIONS) this.#decision.set({ decision: d }, d === decision ? 1 : 0);
  }

  #histogramMetric(): CollectedMetric {
    const name = 'canary_gate_latency_seconds';
    const help = 'Latency per arm over the run, from the intended send time (HDR histogram, 3 significant digits).';
    const boundsMs = LATENCY_BUCKETS_SECONDS.map((s) => s * 1000);
    return {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      reset: () => this.#runLatency.clear(),
      get: async () => {
        const values: Awaited<ReturnType<CollectedMetric['get']>>['values'] = [];
        for (const [arm, h] of this.#runLatency) {
          const counts = cumulativeCountsMs(h, boundsMs);
          LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
            values.push({ labels: { arm, le }, value: counts[i] ?? 0, metricName: `${name}_bucket` });
          });
          values.push({ labels: { arm, le: '+Inf' }, value: h.totalCount, metricName: `${name}_bucket` });
          values.push({ labels: { arm }, value: (h.mean * h.totalCount) / 1e6, metricName: `${name}_sum` });
          values.push({ labels: { arm }, value: h.totalCount, metricName: `${name}_count` });
        }
        return { name, help, type: 'histogram', aggregator: 'sum', values };
      },
    };
  }

  #summaryMetric(): CollectedMetric {
    const name = 'canary_gate_step_latency_seconds';
    const help = 'Latency quantiles per arm in the current step, read off its HDR histogram.';
    return {
      name,
      help,
      type: 'summary',
      aggregator: 'sum',
      reset: () => this.#stepLatency.clear(),
      get: async () => {
        const values: Awaited<ReturnType<CollectedMetric['get']>>['values'] = [];
        for (const [arm, h] of this.#stepLatency) {
          if (h.totalCount === 0) continue;
          for (const q of STEP_QUANTILES) {
            values.push({
              labels: { arm, quantile: q },
              value: h.getValueAtPercentile(q * 100) / 1e6,
              metricName: name,
            });
          }
          values.push({ labels: { arm }, value: (h.mean * h.totalCount) / 1e6, metricName: `${name}_sum` });
          values.push({ labels: { arm }, value: h.totalCount, metricName: `${name}_count` });
        }
        return { name, help, type: 'summary', aggregator: 'sum', values };
      },
    };
  }
}
