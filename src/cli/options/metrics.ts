/** The metrics flags of run and demo: where a run's own Prometheus metrics go. */
import type { Argv } from 'yargs';
import { type MetricsTargets, metricsTargets } from '../../session/run-metrics.js';

/** The metrics flags of run and demo. */
export interface MetricsArgs {
  'metrics-port'?: number;
  'metrics-host': string;
  pushgateway?: string;
}

/** Declare the metrics flags on a command. */
export function metricsFlags<T>(y: Argv<T>): Argv<T & MetricsArgs> {
  return y
    .option('metrics-port', {
      type: 'number',
      describe: 'serve Prometheus metrics of the run on this port at /metrics (0 picks a free port)',
    })
    .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'address the metrics port binds to' })
    .option('pushgateway', {
      type: 'string',
      describe: 'Pushgateway URL the final state is pushed to when the run ends (job "canary-gate")',
    }) as Argv<T & MetricsArgs>;
}

/** Where the metrics flags send a run's metrics; a bad value is a usage error. */
export function metricsOf(args: MetricsArgs): MetricsTargets | undefined {
  return metricsTargets({ port: args['metrics-port'], host: args['metrics-host'], pushgateway: args.pushgateway });
}
