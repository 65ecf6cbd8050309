/**
 * `canary-gate regress`: is build N+1 slower than build N? Both builds run here — containers
 * through testcontainers, or local processes — under the same limits and the same load, in
 * alternating rounds, and the judge holds the candidate to the baseline. The flags stand for a
 * regress scenario (the same schema, rules and defaults as a file). Exit 0 no regression,
 * 1 regression, 2 bad usage (nothing started), 3 a build could not start or stay up, 130
 * interrupted — the last two after every build was stopped.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import { regressScenarioFromFlags } from '../regress/flag-scenario.js';
import { flagNamer } from '../scenario/fields.js';
import type { LoadedScenario } from '../scenario/loader.js';
import { RegressScenarioSchema } from '../scenario/schema.js';
import { RUN_FORMATS } from '../scenario/sections.js';
import { runRegressSession } from '../session/regress.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';
import { type FieldFlagSpec, fieldFlags } from './options/fields.js';
import { type ShardArgs, shardedRunnerOf, shardFlags } from './options/shards.js';
import { printRunOutcome } from './print.js';

/** Flags of regress. */
export interface RegressArgs extends Partial<ShardArgs> {
  scenario?: string;
  out?: string;
  json: boolean;
  quiet: boolean;
  [flag: string]: unknown;
}

/** The flags that stand for fields of a regress scenario (the schema holds their docs and defaults). */
const FLAGS: readonly FieldFlagSpec[] = [
  { flag: 'baseline-image', path: 'regress.baseline.image', type: 'string', extra: 'build N' },
  { flag: 'candidate-image', path: 'regress.candidate.image', type: 'string', extra: 'build N+1' },
  { flag: 'baseline-cmd', path: 'regress.baseline.command', type: 'string', extra: 'build N: a command line' },
  { flag: 'candidate-cmd', path: 'regress.candidate.command', type: 'string', extra: 'build N+1: a command line' },
  { flag: 'port', path: 'regress.port', type: 'number' },
  { flag: 'port-env', path: 'regress.portEnv', type: 'string' },
  { flag: 'env', path: 'regress.env', type: 'string', array: true, extra: 'KEY=VALUE, repeatable' },
  { flag: 'health-path', path: 'regress.healthPath', type: 'string' },
  { flag: 'startup-timeout', path: 'regress.startupTimeout', type: 'string' },
  { flag: 'cpuset', path: 'regress.cpuset', type: 'string' },
  { flag: 'cpus', path: 'regress.cpus', type: 'number' },
  { flag: 'memory', path: 'regress.memory', type: 'string' },
  { flag: 'rounds', path: 'regress.rounds', type: 'number' },
  { flag: 'rate', path: 'traffic.rate', type: 'string' },
  { flag: 'duration', path: 'traffic.stepDuration', type: 'string' },
  { flag: 'warmup', path: 'traffic.warmup', type: 'string' },
  { flag: 'connections', path: 'traffic.connections', type: 'number' },
  { flag: 'path', path: 'requests[0].path', type: 'string' },
  { flag: 'format', path: 'outputs.formats', type: 'string', array: true, choices: RUN_FORMATS },
];

/** Declare regress. */
export function regressBuilder<T>(y: Argv<T>): Argv<T & RegressArgs> {
  return shardFlags(
    fieldFlags(y, RegressScenarioSchema, FLAGS),
    "split each round's load over N generator processes or containers",
  )
    .positional('scenario', { type: 'string', describe: 'scenario file of mode regress (instead of the flags)' })
    .option('out', { type: 'string', describe: "output folder (default: the scenario's outputs.dir)" })
    .example(
      '$0 regress --baseline-image canary-gate-demo:baseline --candidate-image canary-gate-demo:slow',
      'build N against build N+1 in containers; exit 1 on a regression',
    )
    .example(
      '$0 regress --baseline-cmd "node main/server.js" --candidate-cmd "node pr/server.js" --rounds 6',
      'the same with local processes, without Docker',
    )
    .example('$0 regress scenarios/regress.yaml', 'the same from a scenario file')
    .example(
      '$0 regress scenarios/regress.yaml --shards 2',
      "each round's load from 2 generator processes, merged exactly; a shard that dies is named, exit 3",
    ) as Argv<T & RegressArgs>;
}

/** The scenario to run: the file's, or the one the flags stand for. Throws UsageError/ScenarioError. */
export async function regressScenarioOf(
  args: RegressArgs,
  io: Pick<CliIO, 'env'>,
): Promise<LoadedScenario<'regress'> & { file: string }> {
  if (args.scenario !== undefined) {
    const given = FLAGS.filter((f) => args[f.flag] !== undefined);
    if (given.length > 0) {
      throw new UsageError(`give a scenario file or flags, not both: ${given.map((f) => `--${f.flag}`).join(', ')}`, {
        hint: 'put these settings in the regress section of the scenario',
      });
    }
    const loaded = await readScenarioFile(args.scenario, io, { accept: { modes: ['regress'], command: 'regress' } });
    return { ...loaded, file: args.scenario };
  }
  return { ...regressScenarioFromFlags(FLAGS, args), file: 'command line' };
}

/** Run regress; resolves to the exit code. */
export async function runRegressCommand(args: RegressArgs, io: CliIO): Promise<number> {
  const { scenario, redactor, digest, file } = await regressScenarioOf(args, io);
  // Before any build starts. Every round's load shares the traffic; where it goes does not matter here.
  const t = scenario.traffic;
  const plan = scenarioLoadPlan(
    scenario,
    [{ arm: 'baseline', url: 'http://127.0.0.1/', weight: 1 }],
    t.stepDuration,
    t.warmup,
  );
  if (args.shards !== undefined && args.executor === 'kubernetes')
    throw new UsageError(
      '--executor kubernetes: regress starts both builds on this machine, where pods in a cluster cannot reach them; nothing was started',
      { hint: 'use --executor process or docker for regress' },
    );
  const flagOf = flagNamer(FLAGS, { connections: true });
  const runLoad = await shardedRunnerOf(
    args,
    plan,
    (field) =>
      args.scenario === undefined
        ? (flagOf(`traffic.${field}`) ?? `traffic.${field}`)
        : `${args.scenario}: traffic.${field}`,
    io,
    'regress',
  );
  const sharded = runLoad && { runLoad, loadFrom: `${args.shards} shards (${args.executor ?? 'process'})` };
  const outcome = await runRegressSession(
    {
      scenario,
      scenarioFile: file,
      digest,
      redactor,
      outDir: args.out ?? scenario.outputs.dir,
      quiet: args.quiet,
      ...(sharded ? { sharded } : {}),
    },
    io,
  );
  printRunOutcome(outcome, io, args);
  return outcome.result.exitCode;
}
