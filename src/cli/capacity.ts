/**
 * `canary-gate capacity <url | scenario>`: the highest arrival rate that still meets an SLO,
 * searched geometrically then by bisection on the open-model engine; with --compare, the same
 * search on a second target and the capacity ratio. The URL form is a capacity scenario made
 * of flags; in the scenario form, flags given override the file. Exit codes: VERDICT_EXIT.
 */
import type { Argv } from 'yargs';
import { capacityFromFlags } from '../capacity/plan.js';
import { VERDICT_EXIT_HELP } from '../exit-codes.js';
import { renderCapacitySummary } from '../report/capacity-text.js';
import { flagNamer } from '../scenario/fields.js';
import { type CapacityReportsTo, runCapacitySession } from '../session/capacity.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';
import { CAPACITY_FLAGS, CAPACITY_URL_FLAGS, type CapacityArgs, capacityFlags } from './options/capacity.js';
import { shardedRunnerOf } from './options/shards.js';

/** Declare the command's positional and flags. */
export function capacityBuilder<T>(y: Argv<T>): Argv<T & CapacityArgs> {
  return capacityFlags(y)
    .positional('target', {
      type: 'string',
      describe: 'target URL (http or https), or a scenario file whose capacity section drives the search',
      demandOption: true,
    })
    .example(
      "$0 capacity http://127.0.0.1:8080/ --slo 'p99<50ms,errors<0.1%'",
      'double the rate from 100/s until the SLO breaks, then bisect to within 5%',
    )
    .example(
      "$0 capacity http://127.0.0.1:8080/api --slo 'p99<=20ms' --start 500/s --max 20000/s --step-duration 5s --json > capacity.json",
      'a shorter search; the CapacityResult on stdout, progress on stderr',
    )
    .example(
      "$0 capacity http://old:8080/ --compare http://new:8080/ --slo 'p95<30ms' --out reports/",
      'search both versions; report the capacity ratio new/old; JSON, Markdown and HTML in reports/',
    )
    .example('$0 capacity scenarios/capacity.yaml', "the scenario's targets.canary, requests, traffic and capacity")
    .example(
      "$0 capacity http://127.0.0.1:8080/ --slo 'p99<50ms' --start 10000/s --shards 2 -c 200",
      'each step from 2 generator processes, merged exactly; a shard that dies is named, exit 3',
    )
    .epilogue(VERDICT_EXIT_HELP) as Argv<T & CapacityArgs>;
}

const isUrl = (text: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(text);

/** The search the flags (and a scenario file) describe; every problem at once, each naming its flag. */
export async function capacityPlanOf(args: CapacityArgs, io: Pick<CliIO, 'env'>) {
  const file = isUrl(args.target) ? undefined : args.target;
  const loaded =
    file === undefined
      ? undefined
      : { ...(await readScenarioFile(file, io, { accept: { modes: ['capacity'], command: 'capacity' } })), file };
  return capacityFromFlags({
    flags: CAPACITY_FLAGS,
    urlFlags: CAPACITY_URL_FLAGS,
    args: { ...args, url: args.target },
    env: io.env,
    ...(loaded ? { loaded } : {}),
  });
}

/** Run the command; resolves to the exit code. */
export async function runCapacityCommand(args: CapacityArgs, io: CliIO): Promise<number> {
  // Error messages can name a URL with a ${env:NAME} secret in it; main redacts every secret this
  // process loaded before it prints one.
  const { plan, scenario, redactor, file } = await capacityPlanOf(args, io);
  const reportsTo: CapacityReportsTo =
    args.out !== undefined ? { dir: args.out } : file ? { under: scenario.outputs.dir } : undefined;
  // Every step shares the connections and workers: one check covers the search.
  const flagOf = flagNamer(CAPACITY_FLAGS, args);
  const runLoad = await shardedRunnerOf(
    args,
    { ...plan.plan, ratePerSec: plan.search.startPerSec, durationMs: plan.stepDurationMs },
    (field) => flagOf(`traffic.${field}`) ?? (file ? `${file}: traffic.${field}` : `--${field}`),
    io,
    'capacity',
  );
  const sharded = runLoad && {
    runLoad,
    shards: { count: args.shards as number, executor: args.executor ?? 'process' },
  };
  const { result, reports } = await runCapacitySession(
    plan,
    { redactor, quiet: args.quiet, reportsTo, ...(sharded ? { sharded } : {}) },
    io,
  );
  const summary = renderCapacitySummary(result);
  if (args.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  if (args.json && !args.quiet) io.stderr(`${summary}\n`);
  if (!args.json) io.stdout(`${summary}\n`);
  if (!args.quiet) for (const file of reports) io.stderr(`wrote ${file}\n`);
  return result.exitCode;
}
