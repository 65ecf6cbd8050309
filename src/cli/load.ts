/**
 * `canary-gate load <url>`: one target, open model when --rate is given, closed otherwise.
 * Prints the summary table (or --json), progress on stderr while it runs.
 */
import type { Argv } from 'yargs';
import { EXIT } from '../exit-codes.js';
import { runLoad } from '../load/engine.js';
import { generatorLimitNote, renderLoadSummary, summarizeLoad } from '../report/load-summary.js';
import { startProgress } from '../report/progress.js';
import { Redactor } from '../scenario/secrets.js';
import { runSharded } from '../shard/coordinator.js';
import { shardExecutor } from '../shard/executors.js';
import type { CliIO } from './io.js';
import { type LoadArgs, loadFlags, planFromArgs } from './options/load.js';
import { assertExecutorReady, shardFlags } from './options/shards.js';

/** Declare the command's positional and flags. */
export function loadBuilder<T>(y: Argv<T>): Argv<T & LoadArgs> {
  return shardFlags(loadFlags(y), 'split the load over N generator processes')
    .positional('url', {
      type: 'string',
      describe: 'target URL (http or https), e.g. http://127.0.0.1:8080/api',
      demandOption: true,
    })
    .example(
      '$0 load http://127.0.0.1:8080/ --rate 500/s --duration 30s',
      'open model: 500 requests/s for 30 s, latency from the intended send',
    )
    .example(
      '$0 load http://127.0.0.1:8080/ -c 50 -d 10s --json',
      'closed model: 50 connections as fast as they go, JSON summary',
    )
    .example(
      "$0 load http://127.0.0.1:8080/items -m POST -H 'authorization: Bearer ${env:TOKEN}' --body '{}' -r 100/s",
      'POST with a secret header (redacted in every output)',
    )
    .example('$0 load http://127.0.0.1:8080/ -r 20000/s -w 2 -c 200', 'spread a high rate over two worker threads')
    .example(
      '$0 load http://127.0.0.1:8080/ -r 30000/s -c 200 --shards 2',
      'spread a high rate over two processes; a shard that dies or hangs fails the run (exit 3)',
    ) as Argv<T & LoadArgs>;
}

/** Run the command; resolves to the exit code. */
export async function runLoadCommand(args: LoadArgs, io: CliIO): Promise<number> {
  const redactor = new Redactor();
  const plan = planFromArgs(args, io.env, redactor);
  await assertExecutorReady(args, io.env);
  const controller = new AbortController();
  let interrupted = false;
  const unsubscribe = io.onSignal(() => {
    interrupted = true;
    controller.abort();
  });
  const progress = args.quiet ? undefined : startProgress(io, plan);
  try {
    const options = { signal: controller.signal, ...(progress ? { onProgress: progress.update } : {}) };
    const result =
      args.shards === undefined
        ? await runLoad(plan, options)
        : await runSharded(plan, {
            ...options,
            shards: args.shards,
            executor: shardExecutor(args.executor, io.env, (m) => io.stderr(`warning: ${m}\n`)),
          });
    progress?.done();
    const summary = {
      ...summarizeLoad(result, redactor),
      ...('shards' in result ? { shards: result.shards } : {}),
    };
    if (args.json) {
      io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
      if (!args.quiet) io.stderr(`${renderLoadSummary(summary)}\n`);
    } else {
      io.stdout(`${renderLoadSummary(summary)}\n`);
    }
    // Said on stderr as well, --quiet or not: latency that is the generator's must not pass for the service's.
    const note = generatorLimitNote(summary.generator);
    if (note !== undefined) io.stderr(`warning: ${note}\n`);
    return interrupted ? EXIT.interrupted : EXIT.ok;
  } finally {
    progress?.done();
    unsubscribe();
  }
}
