/**
 * `canary-gate demo`: a full staged canary against two in-process demo services (each in its own
 * thread). By default the canary carries a latency regression that the judge must catch and roll
 * back (exit 1); `--healthy` shows a promotion (exit 0). Under a minute either way.
 */
import type { Argv } from 'yargs';
import { startDemoServiceThread } from '../demo/service-thread.js';
import { loadScenario } from '../scenario/loader.js';
import { type MetricsArgs, metricsFlags, metricsTargets } from '../session/run-metrics.js';
import type { CliIO } from './io.js';
import { executeRun } from './run.js';

/** Flags of the demo command. */
export interface DemoArgs extends MetricsArgs {
  healthy: boolean;
  'regression-at': number;
  rate: string;
  step: string;
  out: string;
  json: boolean;
  quiet: boolean;
}

/** Declare the demo's flags. */
export function demoBuilder<T>(y: Argv<T>): Argv<T & DemoArgs> {
  return metricsFlags(y)
    .option('healthy', { type: 'boolean', default: false, describe: 'no regression: the canary is promoted' })
    .option('regression-at', {
      type: 'number',
      default: 0,
      describe: 'canary weight (%) from which the regression is on; 0: from the start',
    })
    .option('rate', { type: 'string', default: '800/s', describe: 'arrival rate of the probe load' })
    .option('step', { type: 'string', default: '4s', describe: 'measured time per step' })
    .option('out', {
      type: 'string',
      default: 'canary-gate-output',
      describe: 'output folder for the result and journal',
    })
    .example('$0 demo', 'the canary regresses at p99; canary-gate catches it and rolls back (exit 1)')
    .example('$0 demo --healthy', 'a healthy canary goes 10 → 25 → 50 → 75 → 100% and is promoted (exit 0)')
    .example('$0 demo --regression-at 50 --json', 'the regression starts at 50%; the RunResult as JSON')
    .example('$0 demo --healthy --metrics-port 9464', 'watch the rollout in Prometheus/Grafana (dashboards/)') as Argv<
    T & DemoArgs
  >;
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

/** Run the demo; resolves to the run's exit code. */
export async function runDemoCommand(args: DemoArgs, io: CliIO): Promise<number> {
  const metrics = metricsTargets(args);
  const latency = { medianMs: 4, sigma: 0.5 };
  const regressFrom = args.healthy ? undefined : args['regression-at'];
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
    if (!args.quiet) {
      const what = args.healthy ? 'no regression' : `a p99 regression (×3 + 5ms) from ${regressFrom}% canary`;
      io.stderr(`demo: baseline ${baseline.url}, canary ${canary.url}; log-normal latency (median 4ms), ${what}\n`);
    }
    const text = demoScenarioText(baseline.url, canary.url, args.rate, args.step);
    const { scenario, digest, redactor } = loadScenario(text, { file: 'demo', env: {} });
    const { result } = await executeRun(
      {
        scenario,
        scenarioFile: 'demo',
        digest,
        redactor,
        outDir: args.out,
        json: args.json,
        quiet: args.quiet,
        ...(metrics ? { metrics } : {}),
        onEvent: (event) => {
          if (event.type === 'step' && regressFrom !== undefined && regressFrom > 0 && event.weight >= regressFrom) {
            void canary.setRegression(true);
          }
        },
      },
      io,
    );
    return result.exitCode;
  } finally {
    await Promise.all([baseline.close(), canary.close()]);
  }
}
