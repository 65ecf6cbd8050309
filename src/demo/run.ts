/**
 * The demo run: a full staged canary against two demo services, each in its own thread, through
 * the same session as `run`. By default the canary carries a latency regression (×3 + 5 ms) that
 * the judge must catch and roll back; healthy, it is promoted. Under a minute either way.
 */
import { randomBytes } from 'node:crypto';
import { loadScenario } from '../scenario/loader.js';
import { type RunOutcome, runCanarySession } from '../session/canary.js';
import type { RunIO } from '../session/io.js';
import type { MetricsTargets } from '../session/run-metrics.js';
import { startDemoServiceThread } from './service-thread.js';

/** How the demo runs. */
export interface DemoOptions {
  /** No regression: the canary is promoted. */
  healthy: boolean;
  /** Canary weight (%) from which the regression is on; 0: from the start. */
  regressionAt: number;
  /** Arrival rate of the probe load, e.g. "2000/s". */
  rate: string;
  /** Measured time per step, e.g. "4s". */
  step: string;
  /** Output folder for the result and journal. */
  outDir: string;
  /**
   * Both services check a bearer token and limit each client to DEMO_LIMIT_PER_SEC; the scenario
   * probes both; the canary (unless healthy) has dropped its token check instead of regressing.
   */
  security?: boolean;
  quiet: boolean;
  metrics?: MetricsTargets;
}

/** The demo scenario for two services, built through the same schema as any file. */
export function demoScenarioText(
  baselineUrl: string,
  canaryUrl: string,
  rate: string,
  step: string,
  security = false,
): string {
  return `name: demo canary
description: baseline and canary demo services in this process; log-normal latency
targets:
  baseline: { url: "${baselineUrl}", health: [/health/live, /health/ready] }
  canary: { url: "${canaryUrl}", health: [/health/live, /health/ready] }
traffic: { rate: "${rate}", connections: 64, warmup: 500ms, stepDuration: "${step}", maxStepDuration: 30s, timeout: 2s }
requests:
  - { name: items, path: /api/items${security ? ', headers: { authorization: "Bearer ${env:DEMO_TOKEN}" }' : ''} }
steps: [10, 25, 50, 75, 100]
router: { type: split }
gates:
  checks:
    - { metric: p99, vsBaseline: { ratio: 1.5, slack: 5ms } }
    - { metric: errorRate, max: 2%, critical: true }
  statistics: { minSamples: 100, alpha: 0.05 }
outputs: { formats: [json, markdown, html] }
${security ? DEMO_SECURITY : ''}`;
}

/** The demo services' limit per client in `demo --security`. */
const DEMO_LIMIT_PER_SEC = 20;

// The probes: one client identity (x-demo-client) above the limit for a second, apart from the
// load, which sends no such header and so is never throttled; the rate limit is probed in
// pre-flight and at the first and last steps.
const DEMO_SECURITY = `security:
  auth:
    refused:
      - { name: no credentials }
      - { name: a wrong token, value: "Bearer not-the-demo-token" }
  rateLimit:
    limit: ${DEMO_LIMIT_PER_SEC}/s
    probeRate: ${3 * DEMO_LIMIT_PER_SEC}/s
    duration: 1s
    identity: { header: x-demo-client }
    requireHeaders: [retry-after]
    skipSteps: [2, 3, 4]
`;

/** Start the demo services, run the staged canary against them, stop them. */
export async function runDemo(o: DemoOptions, io: RunIO): Promise<RunOutcome> {
  const latency = { medianMs: 4, sigma: 0.5 };
  // With --security the canary's fault is its dropped token check, not its latency.
  const regressFrom = o.healthy || o.security ? undefined : o.regressionAt;
  const token = o.security ? randomBytes(16).toString('hex') : undefined;
  const limit = { perSec: DEMO_LIMIT_PER_SEC, burst: 0, clientHeader: 'x-demo-client' };
  const [baseline, canary] = await Promise.all([
    startDemoServiceThread({
      latency,
      errorRate: 0.001,
      seed: 1,
      ...(token ? { guard: { token, rateLimit: limit } } : {}),
    }),
    startDemoServiceThread({
      latency,
      errorRate: 0.001,
      seed: 2,
      regression: { factor: 3, extraMs: 5, on: regressFrom === 0 },
      ...(token ? { guard: { ...(o.healthy ? { token } : {}), rateLimit: limit } } : {}),
    }),
  ]);
  try {
    if (!o.quiet) {
      const what = o.security
        ? `a token check and a ${DEMO_LIMIT_PER_SEC}/s limit per client on both${o.healthy ? '' : ', dropped by the canary'}`
        : o.healthy
          ? 'no regression'
          : `a p99 regression (×3 + 5ms) from ${regressFrom}% canary`;
      io.stderr(`demo: baseline ${baseline.url}, canary ${canary.url}; log-normal latency (median 4ms), ${what}\n`);
    }
    const text = demoScenarioText(baseline.url, canary.url, o.rate, o.step, o.security);
    const { scenario, digest, redactor } = loadScenario(text, {
      file: 'demo',
      env: token ? { DEMO_TOKEN: token } : {},
      accept: { modes: ['canary'], command: 'demo' },
    });
    return await runCanarySession(
      {
        scenario,
        scenarioFile: 'demo',
        digest,
        redactor,
        outDir: o.outDir,
        quiet: o.quiet,
        ...(o.metrics ? { metrics: o.metrics } : {}),
        onEvent: (event) => {
          if (event.type === 'step' && regressFrom !== undefined && regressFrom > 0 && event.weight >= regressFrom) {
            void canary.setRegression(true);
          }
        },
      },
      io,
    );
  } finally {
    await Promise.all([baseline.close(), canary.close()]);
  }
}
