/** The executors a command can name (`--executor`), each made from its name. */

import { dockerExecutor } from './docker-executor.js';
import type { ShardExecutor } from './executor.js';
import { kubeConfigFrom, kubernetesExecutor } from './kubernetes-executor.js';
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
    case 'kubernetes': {
      // The pods of an Indexed Job in the kubeconfig's namespace (or in-cluster credentials').
      const { kubeConfig, namespace } = kubeConfigFrom(env);
      return kubernetesExecutor({
        kubeConfig,
        namespace,
        image: shardImage(env),
        startDelayMs: (kubernetesStartDelaySeconds(env) ?? 30) * 1000,
        ...(warn ? { warn } : {}),
      });
    }
  }
}
