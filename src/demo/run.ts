/**
 * The demo run: a full staged canary against two demo services, each in its own thread, through
 * the same session as `run`. By default the canary carries a latency regression (×3 + 5 ms) that
 * the judge must catch and roll back; healthy, it is promoted. Under a minute either way.
 */
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
  /** Arrival rate of the probe load, e.g. "800/s". */
  rate: string;
  /** Measured time per step, e.g. "4s". */
  step: string;
  /** Output folder for the result and journal. */
  outDir: string;
  quiet: boolean;
  metrics?: MetricsTargets;
}

/** The demo scenario for two services, built through the same schema as any file. */
export function demoScenarioText(baselineUrl: string, canaryUrl: string, rate: string, step: string): string {
  return `name: demo canary
description: baseline and canary demo services in this process; log-normal latency
targets:
  baseline: { url: "${baselineUrl}", health: [/health/live, /health/ready] }
  canary: { url: "${canaryUrl}", health: [/health/live, /health/ready] }
traffic: { rate: "${rate}", connections: 64, warmup: 500ms, stepDuration: "${step}", maxStepDuration: 12s, timeout: 2s }
requests:
  - { name: items, path: /api/items }
steps: [10, 25, 50, 75, 100]
router: { type: split }
gates:
  checks:
    - { metric: p99, vsBaseline: { ratio: 1.5, slack: 5ms } }
    - { metric: errorRate, max: 2%, critical: true }
  statistics: { minSamples: 100, alpha: 0.05 }
outputs: { formats: [json, markdown, html] }
`;
}

/** Start the demo services, run the staged canary against them, stop them. */
export async function runDemo(o: DemoOptions, io: RunIO): Promise<RunOutcome> {
  const latency = { medianMs: 4, sigma: 0.5 };
  const regressFrom = o.healthy ? undefined : o.regressionAt;
  const [baseline, canary] = await Promise.all([
    startDemoServiceThread({ latency, errorRate: 0.001, seed: 1 }),
    startDemoServiceThread({
      latency,
      errorRate: 0.001,
      seed: 2,
      regression: { factor: 3, extraMs: 5, on: regressFrom === 0 },
    }),
  ]);
  try {
    if (!o.quiet) {
      const what = o.healthy ? 'no regression' : `a p99 regression (×3 + 5ms) from ${regressFrom}% canary`;
      io.stderr(`demo: baseline ${baseline.url}, canary ${canary.url}; log-normal latency (median 4ms), ${what}\n`);
    }
    const text = demoScenarioText(baseline.url, canary.url, o.rate, o.step);
    const { scenario, digest, redactor } = loadScenario(text, {
      file: 'demo',
      env: {},
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
