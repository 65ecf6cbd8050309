/** The executors a command can name (`--executor`), each made from its name. */
import type { ShardExecutor } from './executor.js';
import { processExecutor } from './process-executor.js';

/** Names of the executors. */
export const SHARD_EXECUTORS = ['process'] as const;

/** An executor's name. */
export type ShardExecutorName = (typeof SHARD_EXECUTORS)[number];

/** The executor called `name`. */
export function shardExecutor(name: ShardExecutorName): ShardExecutor {
  switch (name) {
    case 'process':
      return processExecutor();
  }
}
