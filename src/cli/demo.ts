/**
 * `canary-gate demo`: a full staged canary against two in-process demo services (demo/run.ts).
 * By default the canary regresses and is rolled back (exit 1); `--healthy` shows a promotion.
 */
import type { Argv } from 'yargs';
import { runDemo } from '../demo/run.js';
import { defaultText } from '../scenario/fields.js';
import { CanaryScenarioSchema } from '../scenario/schema.js';
import type { CliIO } from './io.js';
import { type MetricsArgs, metricsFlags, metricsOf } from './options/metrics.js';
import { printRunOutcome } from './print.js';

/** Flags of the demo command. */
export interface DemoArgs extends MetricsArgs {
  healthy: boolean;
  security: boolean;
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
    .option('security', {
      type: 'boolean',
      default: false,
      describe:
        'a token check and a per-client rate limit on both services, probed as security gates; the canary has dropped its token check (with --healthy it keeps it)',
    })
    .option('regression-at', {
      type: 'number',
      default: 0,
      describe: 'canary weight (%) from which the regression is on; 0: from the start',
    })
    .option('rate', { type: 'string', default: '2000/s', describe: 'arrival rate of the probe load' })
    .option('step', { type: 'string', default: '4s', describe: 'measured time per step' })
    .option('out', {
      type: 'string',
      default: defaultText(CanaryScenarioSchema, 'outputs.dir'),
      describe: 'output folder for the result and journal',
    })
    .example('$0 demo', 'the canary regresses at p99; canary-gate catches it and rolls back (exit 1)')
    .example('$0 demo --healthy', 'a healthy canary goes 10 → 25 → 50 → 75 → 100% and is promoted (exit 0)')
    .example('$0 demo --regression-at 50 --json', 'the regression starts at 50%; the RunResult as JSON')
    .example('$0 demo --security', 'the canary dropped its token check: rolled back before any weight changes (exit 1)')
    .example('$0 demo --healthy --metrics-port 9464', 'watch the rollout in Prometheus/Grafana (dashboards/)') as Argv<
    T & DemoArgs
  >;
}

/** Run the demo; resolves to the run's exit code. */
export async function runDemoCommand(args: DemoArgs, io: CliIO): Promise<number> {
  const metrics = metricsOf(args);
  const outcome = await runDemo(
    {
      healthy: args.healthy,
      security: args.security,
      regressionAt: args['regression-at'],
      rate: args.rate,
      step: args.step,
      outDir: args.out,
      quiet: args.quiet,
      ...(metrics ? { metrics } : {}),
    },
    io,
  );
  printRunOutcome(outcome, io, args);
  return outcome.result.exitCode;
}
