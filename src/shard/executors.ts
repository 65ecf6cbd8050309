/** The executors a command can name (`--executor`), each made from its name. */

import { dockerExecutor } from './docker-executor.js';
import type { ShardExecutor, ShardInstance, ShardLaunch } from './executor.js';
import { processExecutor } from './process-executor.js';

/** Names of the executors. */
export const SHARD_EXECUTORS = ['process', 'docker', 'kubernetes'] as const;

/** An executor's name. */
export type ShardExecutorName = (typeof SHARD_EXECUTORS)[number];

/** The image the docker executor runs: CANARY_GATE_SHARD_IMAGE, else canary-gate:latest (deploy/image). */
export function shardImage(env: Readonly<Record<string, string | undefined>>): string {
  return env.CANARY_GATE_SHARD_IMAGE || 'canary-gate:latest';
}

/**
 * Seconds the kubernetes executor gives pods to be scheduled and started before the common start:
 * CANARY_GATE_K8S_START_DELAY, else 30; undefined when the variable is not a number from 1 to 600.
 */
export function kubernetesStartDelaySeconds(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env.CANARY_GATE_K8S_START_DELAY;
  if (raw === undefined || raw === '') return 30;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 1 && seconds <= 600 ? seconds : undefined;
}

/**
 * The executor called `name`; `env` may name the shard image (CANARY_GATE_SHARD_IMAGE) and, for
 * kubernetes, the kubeconfig and the start delay; `warn` hears what could not be cleaned up.
 */
export function shardExecutor(
  name: ShardExecutorName,
  env: Readonly<Record<string, string | undefined>>,
  warn?: (message: string) => void,
): ShardExecutor {
  switch (name) {
    case 'process':
      return processExecutor();
    case 'docker':
      // The canary-gate image from the local engine (deploy/image), host networking.
      return dockerExecutor({ image: shardImage(env) });
    case 'kubernetes':
      return lazyKubernetesExecutor(env, warn);
  }
}

/**
 * The pods of an Indexed Job in the kubeconfig's namespace (or in-cluster credentials'), made at
 * the first start: @kubernetes/client-node is about 800 modules, and loading it in every CLI start
 * that might shard (load, run, capacity, regress) cost about a CPU-second each, even for --help.
 * The kubeconfig has been read once already by then (cli/options/shards.ts assertExecutorReady).
 */
function lazyKubernetesExecutor(
  env: Readonly<Record<string, string | undefined>>,
  warn?: (message: string) => void,
): ShardExecutor {
  let made: Promise<ShardExecutor> | undefined;
  const executor = (): Promise<ShardExecutor> => {
    made ??= import('./kubernetes-executor.js').then(({ kubeConfigFrom, kubernetesExecutor }) => {
      const { kubeConfig, namespace } = kubeConfigFrom(env);
      return kubernetesExecutor({
        kubeConfig,
        namespace,
        image: shardImage(env),
        startDelayMs,
        ...(warn ? { warn } : {}),
      });
    });
    return made;
  };
  const startDelayMs = (kubernetesStartDelaySeconds(env) ?? 30) * 1000;
  return {
    name: 'kubernetes',
    startDelayMs,
    start: async (launch: ShardLaunch): Promise<ShardInstance> => (await executor()).start(launch),
    // Nothing made (or it could not be made): nothing to release.
    close: async (): Promise<void> =>
      made?.then(
        (e) => e.close(),
        () => undefined,
      ),
  };
}
