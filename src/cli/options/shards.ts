/** The flags of the commands whose load can run as shards (`--shards N --executor X`). */
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import type { LoadPlan } from '../../load/plan.js';
import { type LoadRunner, shardedRunner } from '../../shard/coordinator.js';
import { dockerProblem } from '../../shard/docker-executor.js';
import {
  kubernetesStartDelaySeconds,
  SHARD_EXECUTORS,
  type ShardExecutorName,
  shardExecutor,
  shardImage,
} from '../../shard/executors.js';
import { splitProblems } from '../../shard/split.js';
import type { CliIO } from '../io.js';

/** The shard flags as yargs parses them. */
export interface ShardArgs {
  shards?: number;
  executor: ShardExecutorName;
}

/** Declare --shards (described by `what`) and --executor. */
export function shardFlags<T>(y: Argv<T>, what: string): Argv<T & ShardArgs> {
  return y
    .option('shards', {
      type: 'number',
      describe: `${what} (shard i sends intended times i, i+N, …); histograms merge exactly`,
    })
    .option('executor', {
      choices: SHARD_EXECUTORS,
      default: 'process' as const,
      describe:
        'what runs the shards (with --shards): local processes, containers on the local Docker engine, or the pods of a Kubernetes Indexed Job (kubeconfig or in-cluster credentials; no weight changes, so not for run; not for regress)',
    }) as Argv<T & ShardArgs>;
}

/**
 * Every problem of splitting `plan` over --shards, each naming the flag or the scenario field
 * (`field` turns a plan field into what the user wrote).
 */
export function shardProblems(plan: LoadPlan, shards: number, field: (name: string) => string): string[] {
  return splitProblems(plan, shards).map((p) => {
    const name = p.slice(0, p.indexOf(':'));
    return name === 'shards' ? `--${p}` : `--shards ${shards}: ${field(name)}${p.slice(name.length)}`;
  });
}

/** Throws UsageError (exit 2, nothing sent) when --executor docker or kubernetes cannot start a shard here. */
export async function assertExecutorReady(args: ShardArgs, env: CliIO['env']): Promise<void> {
  if (args.shards === undefined) return;
  if (args.executor === 'kubernetes') {
    if (kubernetesStartDelaySeconds(env) === undefined)
      throw new UsageError(
        `--executor kubernetes: CANARY_GATE_K8S_START_DELAY: expected seconds from 1 to 600, found "${env.CANARY_GATE_K8S_START_DELAY}"; nothing was sent`,
      );
    // Loaded only here: the Kubernetes client is most of a CLI start's modules (executors.ts).
    const { kubeConfigFrom, kubernetesProblem } = await import('../../shard/kubernetes-executor.js');
    const { kubeConfig, namespace } = kubeConfigFrom(env);
    const problem = await kubernetesProblem(kubeConfig, namespace);
    if (problem !== undefined)
      throw new UsageError(`--executor kubernetes: ${problem}; nothing was sent`, {
        hint: 'check the kubeconfig and its current context, or use --executor process',
      });
    return;
  }
  if (args.executor !== 'docker') return;
  const problem = await dockerProblem(shardImage(env));
  if (problem !== undefined)
    throw new UsageError(`--executor docker: ${problem}; nothing was sent`, {
      hint: 'start a Docker engine, or use --executor process',
    });
}

/**
 * Before anything is sent: throws UsageError (exit 2) when `plan` cannot be split over --shards,
 * naming the flag or the scenario field (`field`), or when --executor cannot start a shard here.
 */
export async function assertShardable(
  args: ShardArgs & { shards: number },
  plan: LoadPlan,
  field: (name: string) => string,
  io: Pick<CliIO, 'env'>,
  command: string,
): Promise<void> {
  const problems = shardProblems(plan, args.shards, field);
  if (problems.length > 0)
    throw new UsageError(`invalid arguments:\n  - ${problems.join('\n  - ')}\nnothing was sent`, {
      hint: `see canary-gate ${command} --help`,
    });
  await assertExecutorReady(args, io.env);
}

/**
 * What runs each load of a command whose loads are whole runs (capacity's steps, regress's
 * rounds): with --shards, every load over that many shards through --executor, each run on an
 * executor of its own; without it, undefined (the engine in this process). Checked first
 * (assertShardable) against `plan`, the load every run shares apart from its rate and duration.
 */
export async function shardedRunnerOf(
  args: Partial<ShardArgs>,
  plan: LoadPlan,
  field: (name: string) => string,
  io: Pick<CliIO, 'env'>,
  command: string,
): Promise<LoadRunner | undefined> {
  const { shards, executor = 'process' } = args;
  if (shards === undefined) return undefined;
  await assertShardable({ shards, executor }, plan, field, io, command);
  return shardedRunner(shards, () => shardExecutor(executor, io.env));
}
