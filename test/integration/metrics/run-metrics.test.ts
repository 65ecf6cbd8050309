/**
 * canary-gate's own metrics, read by the real thing: a Prometheus (Debian's package) scrapes the
 * run's /metrics every second while `canary-gate run` runs in-process against two demo service
 * threads, and sees the weight move step by step; at the end the final state is pushed to a real
 * Pushgateway.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import type { RunningService } from '../../../src/demo/service.js';
import { startDemoServiceThread } from '../../../src/demo/service-thread.js';
import { queryValue } from '../../../src/metrics/prometheus.js';
import { type Daemon, startPrometheus, startPushgateway } from '../../helpers/daemon.js';
import { listenOnLoopback } from '../../helpers/server.js';

/** A listener on the run's metrics port until the run takes it over. */
interface StandIn {
  port: number;
  /** Resolves at Prometheus' next scrape of the port; rejects after `deadlineMs`. */
  nextScrape: (deadlineMs: number) => Promise<void>;
  close: () => Promise<void>;
}

let prometheus: Daemon;
let pushgateway: Daemon;
let standIn: StandIn;
let baseline: RunningService;
let canary: RunningService;

beforeAll(async () => {
  standIn = await scrapeStandIn();
  // The run command's modules, loaded now: the run must be up within a second of a scrape.
  await import('../../../src/cli/run.js');
  const latency = { medianMs: 4, sigma: 0.5 };
  [prometheus, pushgateway, baseline, canary] = await Promise.all([
    startPrometheus([{ job: 'canary-gate', targets: [`127.0.0.1:${standIn.port}`] }]),
    startPushgateway(),
    startDemoServiceThread({ latency, seed: 1 }),
    startDemoServiceThread({ latency, seed: 2 }),
  ]);
}, 30_000);

afterAll(async () => {
  await standIn?.close();
  await Promise.all([prometheus?.stop(), pushgateway?.stop(), baseline?.close(), canary?.close()]);
});

/**
 * An empty exposition on a loopback port that tells when Prometheus scrapes it. Prometheus scrapes
 * a target only once its service discovery has handed it over, which it throttles to every 5 s:
 * here the first scrape came 5.9–6.0 s after "Server is ready" (a run started at once lost its
 * first weight to that when its steps lasted 3 s), then one every second at a fixed offset. A run
 * started right after a scrape has its port open and its first weight set long before the next
 * one (the gauge reads 0 before the first step: no scrape may see that), and each weight held 2 s
 * is scraped at least once.
 */
async function scrapeStandIn(): Promise<StandIn> {
  const waiting = new Set<() => void>();
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end('');
    for (const seen of waiting) seen();
  });
  const { port, close } = await listenOnLoopback(server);
  let closed: Promise<void> | undefined;
  return {
    port,
    nextScrape: (deadlineMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(seen);
          reject(new Error(`Prometheus did not scrape 127.0.0.1:${port} within ${deadlineMs} ms`));
        }, deadlineMs);
        const seen = () => {
          clearTimeout(timer);
          waiting.delete(seen);
          resolve();
        };
        waiting.add(seen);
      }),
    close: () => (closed ??= close()),
  };
}

function captureIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stderrIsTTY: false,
    env: {},
    onSignal: () => () => {},
  };
}

async function queryRange(query: string, startSec: number, endSec: number): Promise<[number, string][]> {
  const url = new URL('/api/v1/query_range', prometheus.url);
  url.search = new URLSearchParams({ query, start: String(startSec), end: String(endSec), step: '0.5' }).toString();
  const response = await request(url);
  const body = (await response.body.json()) as { data: { result: { values: [number, string][] }[] } };
  return body.data.result[0]?.values ?? [];
}

describe('the run exports its own metrics', () => {
  it('Prometheus scrapes /metrics during a run and sees the weight change; the end is pushed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-gate-metrics-'));
    const file = join(dir, 'metrics.yaml');
    // What is judged only has to pass, on evidence and soon: bounds far above the demo's latency
    // (median 4 ms) and errors (none), not an A/A against the baseline. 2 s steps hold every weight
    // for two scrapes; at 500/s the 10 % step's 100 canary samples bound a p95 (59 needed at
    // β 0.05; a p99 needs 299) and meet minSamples, and a step still short of evidence is extended.
    writeFileSync(
      file,
      `name: run metrics
targets:
  baseline: { url: "${baseline.url}", health: [/health/live] }
  canary: { url: "${canary.url}", health: [/health/live] }
traffic: { rate: 500/s, connections: 20, warmup: 0s, stepDuration: 2s, maxStepDuration: 20s, timeout: 2s }
requests: [{ path: /api }]
steps: [10, 25, 50, 75, 100]
router: { type: split }
gates:
  checks:
    - { metric: p95, max: 1s }
    - { metric: errorRate, max: 50% }
  statistics: { minSamples: 50 }
`,
    );
    await standIn.nextScrape(20_000);
    await standIn.close();
    const io = captureIO();
    const startSec = Date.now() / 1000;
    const code = await main(
      [
        'run',
        file,
        '--out',
        join(dir, 'out'),
        '--metrics-port',
        String(standIn.port),
        '--pushgateway',
        pushgateway.url,
        '--json',
      ],
      io,
    );
    const endSec = Date.now() / 1000;
    expect(code).toBe(0);
    const stderr = io.err.join('');
    expect(stderr).toContain(`metrics: http://127.0.0.1:${standIn.port}/metrics`);
    expect(stderr).toContain(`metrics: pushed to ${pushgateway.url}`);
    const run = JSON.parse(io.out.join('')).run as string;

    // Every weight of the rollout was scraped, in order.
    const weights = (await queryRange(`canary_gate_weight_percent{run="${run}"}`, startSec, endSec)).map(([, v]) =>
      Number(v),
    );
    const distinct = weights.filter((w, i) => i === 0 || w !== weights[i - 1]);
    expect(distinct).toEqual([10, 25, 50, 75, 100]);

    // The exposition is one real Prometheus reads: histogram buckets work with histogram_quantile.
    // The last scrape's buckets (max over a minute of counters that only grow): the first scrape
    // after the run's port closed marks the series stale, and a query that comes later (a busy
    // machine) would read nothing at "now".
    const p99 = await queryValue(
      { url: prometheus.url, timeoutMs: 2000 },
      `histogram_quantile(0.99, sum by (le) (max_over_time(canary_gate_latency_seconds_bucket{run="${run}",arm="canary"}[1m])))`,
    );
    expect(p99.value).toBeGreaterThan(0.001);
    expect(p99.value).toBeLessThan(1);
    const requests = await queryValue(
      { url: prometheus.url, timeoutMs: 2000 },
      `sum(max_over_time(canary_gate_requests_total{run="${run}",status_class="2xx"}[1m]))`,
    );
    expect(requests.value).toBeGreaterThan(1000);

    // The Pushgateway holds the final state, grouped by run.
    const pushed = await (await request(`${pushgateway.url}/metrics`)).body.text();
    expect(pushed).toMatch(
      new RegExp(`canary_gate_decision\\{decision="promote",instance="",job="canary-gate",run="${run}"\\} 1`),
    );
    expect(pushed).toMatch(new RegExp(`canary_gate_step\\{instance="",job="canary-gate",run="${run}"\\} 5`));
  }, 90_000);

  it("the dashboard's queries are PromQL that Prometheus accepts", async () => {
    const dashboard = JSON.parse(
      readFileSync(new URL('../../../dashboards/canary-gate.json', import.meta.url), 'utf8'),
    );
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
      p.targets.map((t) => t.expr),
    );
    for (const expr of exprs) {
      const query = expr.replaceAll('$__rate_interval', '1m').replaceAll('$run', '.*').replaceAll('$service_job', '.*');
      const outcome = await queryValue({ url: prometheus.url, timeoutMs: 2000 }, query);
      // No data or several series are fine here; a syntax error is not.
      expect(outcome.value === null && outcome.problem.includes('bad_data') ? `${expr}: ${outcome.problem}` : '').toBe(
        '',
      );
    }
  });

  it('refuses a metrics port that is taken, before anything starts or is written', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const out = join(mkdtempSync(join(tmpdir(), 'canary-gate-metrics-taken-')), 'out');
      const io = captureIO();
      const code = await main(['demo', '--metrics-port', String(port), '--out', out, '--quiet'], io);
      expect(code).toBe(2);
      expect(io.err.join('')).toContain(`--metrics-port: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      // The output folder is made (and proven writable) first, before the port (#14): it stays empty.
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('refuses a bad --pushgateway before anything starts', async () => {
    const io = captureIO();
    const code = await main(['demo', '--pushgateway', 'not a url', '--quiet'], io);
    expect(code).toBe(2);
    expect(io.err.join('')).toContain('--pushgateway: expected an http(s) URL');
  });
});
