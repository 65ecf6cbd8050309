/** The executors a command can name (`--executor`), each made from its name. */

import { dockerExecutor } from './docker-executor.js';
import type { ShardExecutor } from './executor.js';
import { processExecutor } from './process-executor.js';

/** Names of the executors. */
export const SHARD_EXECUTORS = ['process', 'docker'] as const;

/** An executor's name. */
export type ShardExecutorName = (typeof SHARD_EXECUTORS)[number];

/** The image the docker executor runs: CANARY_GATE_SHARD_IMAGE, else canary-gate:latest (deploy/image). */
export function shardImage(env: Readonly<Record<string, string | undefined>>): string {
  return env.CANARY_GATE_SHARD_IMAGE || 'canary-gate:latest';
}

/** The executor called `name`; `env` may name the shard image (CANARY_GATE_SHARD_IMAGE). */
export function shardExecutor(
  name: ShardExecutorName,
  env: Readonly<Record<string, string | undefined>>,
): ShardExecutor {
  switch (name) {
    case 'process':
      return processExecutor();
    case 'docker':
      // The canary-gate image from the local engine (deploy/image), host networking.
      return dockerExecutor({ image: shardImage(env) });
  }
}
