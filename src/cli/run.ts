/**
 * `canary-gate run <scenario>`: the staged canary. Exit 0 promoted, 1 rolled back, 2 bad
 * scenario (nothing sent), 3 aborted by an infrastructure error, 130 interrupted — the last two
 * after the router was reset.
 */
import type { Argv } from 'yargs';
import type { LoadStarter } from '../canary/rollout-load.js';
import { shardedLoad } from '../canary/sharded-load.js';
import { ScenarioError, UsageError } from '../errors.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import { checksExplicitlyEmpty } from '../scenario/checks.js';
import { RUN_MODES, type RunScenario } from '../scenario/schema.js';
import { runCanarySession } from '../session/canary.js';
import { shardExecutor } from '../shard/executors.js';
import { readBaselineFile, readScenarioFile } from './files.js';
import type { CliIO } from './io.js';
import { type MetricsArgs, metricsFlags, metricsOf } from './options/metrics.js';
import { assertShardable, type ShardArgs, shardFlags } from './options/shards.js';
import { printRunOutcome } from './print.js';

/** Flags of the run command. */
export interface RunArgs extends MetricsArgs, ShardArgs {
  scenario: string;
  out?: string;
  baseline?: string;
  json: boolean;
  quiet: boolean;
  'allow-no-checks': boolean;
}

/** Declare the command's positional and flags. */
export function runBuilder<T>(y: Argv<T>): Argv<T & RunArgs> {
  return shardFlags(metricsFlags(y), "split the rollout's load over N generator processes or containers")
    .positional('scenario', { type: 'string', describe: 'scenario file (YAML or JSON)', demandOption: true })
    .option('out', { type: 'string', describe: "output folder (default: the scenario's outputs.dir)" })
    .option('allow-no-checks', {
      type: 'boolean',
      default: false,
      describe:
        'run a scenario whose gates.checks is an empty list (nothing can fail a step: every canary is promoted)',
    })
    .option('baseline', {
      type: 'string',
      describe: "stored baseline for vsStored checks (default: the scenario's baseline.file)",
    })
    .example('$0 run scenarios/nginx-canary.yaml', 'staged canary through nginx; exit 0 promoted, 1 rolled back')
    .example('$0 run canary.yaml --json > result.json', 'the RunResult as JSON on stdout, progress on stderr')
    .example(
      '$0 run canary.yaml --shards 2 --executor docker',
      "the rollout's load from 2 shard containers; a shard that dies or hangs resets the router, exit 3",
    )
    .example(
      '$0 run canary.yaml --metrics-port 9464 --pushgateway http://127.0.0.1:9091',
      'serve live metrics for Prometheus/Grafana; push the final state at the end',
    ) as Argv<T & RunArgs>;
}

/** Run the command; resolves to the exit code. */
export async function runRunCommand(args: RunArgs, io: CliIO): Promise<number> {
  const metrics = metricsOf(args);
  const { scenario, redactor, digest, input } = await readScenarioFile(args.scenario, io, {
    accept: { modes: RUN_MODES, command: 'run' },
  });
  if (checksExplicitlyEmpty(input) && !args['allow-no-checks']) {
    const problem = 'gates.checks: an empty list turns every check off, so any canary would be promoted';
    throw new ScenarioError(`${args.scenario}: ${problem}; nothing was sent`, [problem], {
      hint: 'remove gates.checks for the default checks, name some, or pass --allow-no-checks',
    });
  }
  const load = args.shards === undefined ? undefined : await shardedRunLoad(args, scenario, io);
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
      ...(load ? { load } : {}),
    },
    io,
  );
  printRunOutcome(outcome, io, args);
  return outcome.result.exitCode;
}

/** The rollout's load as --shards shards, checked before anything is sent (exit 2 naming the flag). */
async function shardedRunLoad(args: RunArgs, scenario: RunScenario, io: CliIO): Promise<LoadStarter> {
  const shards = args.shards as number;
  if (args.executor === 'kubernetes')
    throw new UsageError(
      '--executor kubernetes: run changes the weights between steps by telling each shard, and a pod has no stdin to be told on; nothing was sent',
      { hint: 'use --executor process or docker for run; load and capacity run on kubernetes' },
    );
  // Splitting depends on the traffic alone, not on where the load goes.
  const plan = scenarioLoadPlan(scenario, [{ arm: 'canary', url: scenario.targets.canary.url, weight: 1 }], 1000, 0);
  await assertShardable({ ...args, shards }, plan, (field) => `${args.scenario}: traffic.${field}`, io, 'run');
  return shardedLoad({ shards, executor: shardExecutor(args.executor, io.env) });
}
