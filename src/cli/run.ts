/**
 * `canary-gate run <scenario>`: the staged canary. Exit 0 promoted, 1 rolled back, 2 bad
 * scenario (nothing sent), 3 aborted by an infrastructure error, 130 interrupted — the last two
 * after the router was reset.
 */
import type { Argv } from 'yargs';
import { RUN_MODES } from '../scenario/schema.js';
import { runCanarySession } from '../session/canary.js';
import { readBaselineFile, readScenarioFile } from './files.js';
import { type MetricsArgs, metricsFlags, metricsOf } from './flags.js';
import type { CliIO } from './io.js';
import { printRunOutcome } from './print.js';

/** Flags of the run command. */
export interface RunArgs extends MetricsArgs {
  scenario: string;
  out?: string;
  baseline?: string;
  json: boolean;
  quiet: boolean;
}

/** Declare the command's positional and flags. */
export function runBuilder<T>(y: Argv<T>): Argv<T & RunArgs> {
  return metricsFlags(y)
    .positional('scenario', { type: 'string', describe: 'scenario file (YAML or JSON)', demandOption: true })
    .option('out', { type: 'string', describe: "output folder (default: the scenario's outputs.dir)" })
    .option('baseline', {
      type: 'string',
      describe: "stored baseline for vsStored checks (default: the scenario's baseline.file)",
    })
    .example('$0 run scenarios/nginx-canary.yaml', 'staged canary through nginx; exit 0 promoted, 1 rolled back')
    .example('$0 run canary.yaml --json > result.json', 'the RunResult as JSON on stdout, progress on stderr')
    .example(
      '$0 run canary.yaml --metrics-port 9464 --pushgateway http://127.0.0.1:9091',
      'serve live metrics for Prometheus/Grafana; push the final state at the end',
    ) as Argv<T & RunArgs>;
}

/** Run the command; resolves to the exit code. */
export async function runRunCommand(args: RunArgs, io: CliIO): Promise<number> {
  const metrics = metricsOf(args);
  const { scenario, redactor, digest } = await readScenarioFile(args.scenario, io, {
    accept: { modes: RUN_MODES, command: 'run' },
  });
  const baselineFile = args.baseline ?? scenario.baseline?.file;
  const baseline = baselineFile ? await readBaselineFile(baselineFile) : undefined;
  const outcome = await runCanarySession(
    {
      scenario,
      scenarioFile: args.scenario,
      digest,
      redactor,
      outDir: args.out ?? scenario.outputs.dir,
      quiet: args.quiet,
      ...(baseline ? { baseline } : {}),
      ...(metrics ? { metrics } : {}),
    },
    io,
  );
  printRunOutcome(outcome, io, args);
  return outcome.result.exitCode;
}
