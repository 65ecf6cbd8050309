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
import { runRegressSession } from '../session/regress.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';
import { REGRESS_FLAGS, type RegressArgs, regressFlags } from './options/regress.js';
import { shardedRunnerOf } from './options/shards.js';
import { printRunOutcome } from './print.js';

/** Declare regress. */
export function regressBuilder<T>(y: Argv<T>): Argv<T & RegressArgs> {
  return regressFlags(y)
    .positional('scenario', { type: 'string', describe: 'scenario file of mode regress (instead of the flags)' })
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
    const given = REGRESS_FLAGS.filter((f) => args[f.flag] !== undefined);
    if (given.length > 0) {
      throw new UsageError(`give a scenario file or flags, not both: ${given.map((f) => `--${f.flag}`).join(', ')}`, {
        hint: 'put these settings in the regress section of the scenario',
      });
    }
    const loaded = await readScenarioFile(args.scenario, io, { accept: { modes: ['regress'], command: 'regress' } });
    return { ...loaded, file: args.scenario };
  }
  return { ...regressScenarioFromFlags(REGRESS_FLAGS, args), file: 'command line' };
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
  const flagOf = flagNamer(REGRESS_FLAGS, { connections: true });
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
