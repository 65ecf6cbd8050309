/**
 * `canary-gate shard`: run one shard of a sharded load and print the shard protocol on stdout
 * (src/shard/protocol.ts). Started by a coordinator (`load --shards N`), a container or a
 * Kubernetes Indexed Job; people do not usually run it by hand.
 */
import type { Argv } from 'yargs';
import { CanaryGateError, UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { Redactor } from '../scenario/secrets.js';
import { resolvePlanEnv } from '../shard/kubernetes-job.js';
import { formatShardLine, SHARD_LIMITS, SHARD_PROTOCOL_VERSION } from '../shard/protocol.js';
import { followCommands, runShard } from '../shard/shard.js';
import { parsePlanFile } from '../shard/split.js';
import { readPlanFile } from './files.js';
import type { CliIO } from './io.js';

/** Flags of the shard command. */
export interface ShardArgs {
  plan?: string;
  index?: number;
  control: 'stdin' | 'none';
}

/** Declare the command's flags. */
export function shardBuilder<T>(y: Argv<T>): Argv<T & ShardArgs> {
  return y
    .option('plan', {
      type: 'string',
      describe: 'the shard plan file (JSON, written by the coordinator); default: $CANARY_GATE_SHARD_PLAN_FILE',
    })
    .option('index', {
      type: 'number',
      describe: "this shard's index, 0 … shards−1; default: $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)",
    })
    .option('control', {
      choices: ['stdin', 'none'] as const,
      default: 'none' as const,
      describe: 'stdin: read commands (start, weights, stop) from stdin and stop when it closes',
    })
    .example('$0 shard --plan plan.json --index 0', 'run shard 0 of the plan; protocol lines on stdout') as Argv<
    T & ShardArgs
  >;
}

/** The shard index from the flag or the Job's environment. */
function indexOf(args: ShardArgs, env: CliIO['env']): number {
  const raw = args.index ?? env.JOB_COMPLETION_INDEX;
  const index = Number(raw);
  if (raw === undefined || raw === '' || !Number.isInteger(index) || index < 0)
    throw new UsageError(`--index: expected an integer >= 0 (or $JOB_COMPLETION_INDEX), found ${raw ?? 'nothing'}`);
  return index;
}

/** Run the command; resolves to the exit code. */
export async function runShardCommand(args: ShardArgs, io: CliIO): Promise<number> {
  let index = 0;
  try {
    index = indexOf(args, io.env);
    const path = args.plan ?? io.env.CANARY_GATE_SHARD_PLAN_FILE;
    if (!path) throw new UsageError('--plan: expected the shard plan file (or $CANARY_GATE_SHARD_PLAN_FILE)');
    // A plan printed by shard-job holds ${env:NAME} references: the pod's environment has the values.
    const file = resolvePlanEnv(parsePlanFile(await readPlanFile(path), path), io.env, new Redactor());
    if (file.startOnCommand && args.control !== 'stdin')
      throw new UsageError(
        `--control: ${path} says its shards start on the coordinator's command (startOnCommand); expected --control stdin, found --control ${args.control}`,
      );
    const stop = new AbortController();
    const abort = new AbortController();
    // The first signal stops issuing (the end line still comes); a second one discards in-flight requests.
    const unsubscribe = io.onSignal(() => (stop.signal.aborted ? abort.abort() : stop.abort()));
    try {
      const shard = runShard({
        index,
        file,
        write: io.stdout,
        stop: stop.signal,
        abort: abort.signal,
        warn: (message) => io.stderr(`shard ${index}: ${message}\n`),
      });
      if (args.control === 'stdin')
        void followCommands(process.stdin, shard.command, stop, (m) => io.stderr(`shard: ${m}\n`));
      await shard.done;
    } finally {
      unsubscribe();
      // stdin would keep the process alive.
      process.stdin.destroy();
    }
    return EXIT.ok;
  } catch (error) {
    const code = error instanceof CanaryGateError ? error.code : 'E_INTERNAL';
    const message = (error as Error).message.slice(0, SHARD_LIMITS.maxTextChars);
    io.stdout(formatShardLine({ v: SHARD_PROTOCOL_VERSION, shard: index, type: 'error', code, message }));
    throw error;
  }
}
