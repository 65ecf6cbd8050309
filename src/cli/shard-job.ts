/**
 * `canary-gate shard-job [scenario] --shards N`: print the Kubernetes manifests of a sharded load
 * (the plan Secret and the Indexed Job, YAML documents separated by `---`) for people who apply
 * them themselves. Sends nothing.
 *
 * Secrets are never printed: the plan is built with every `${env:NAME}` kept as a reference
 * (each variable reads as a marker while the plan is built and checked, and the markers become
 * `${env:NAME}` again), the pods take the variables from the Secret `<name>-env` and the shard
 * substitutes them. A reference is allowed in header values only; one anywhere else (the URL, a
 * path, a body) is refused with exit 2 naming the field, since the plan would have to hold it.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { LoadPlan } from '../load/plan.js';
import { RUN_MODES } from '../scenario/schema.js';
import { Redactor } from '../scenario/secrets.js';
import { shardImage } from '../shard/executors.js';
import { shardJobManifests, shardJobYaml } from '../shard/kubernetes-job.js';
import { envMarkers, restoreReferences } from '../shard/plan-references.js';
import { scenarioShardPlan } from '../shard/split.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';
import { type LoadArgs, loadFlags, planFromArgs } from './options/load.js';

/** Flags of the shard-job command. */
export interface ShardJobArgs extends Omit<LoadArgs, 'url' | 'shards' | 'executor'> {
  scenario?: string;
  url?: string;
  shards: number;
  name: string;
  namespace?: string;
  image?: string;
}

/** Declare the command's positional and flags. */
export function shardJobBuilder<T>(y: Argv<T>): Argv<T & ShardJobArgs> {
  return loadFlags(y)
    .positional('scenario', {
      type: 'string',
      describe:
        'a canary or regression scenario: its traffic and requests sent to targets.canary.url (or --url); of the load flags, -r, -d and --warmup apply',
    })
    .option('url', { type: 'string', describe: 'target URL, e.g. http://checkout.shop.svc:8080/ (without a scenario)' })
    .option('shards', {
      type: 'number',
      demandOption: true,
      describe: 'pods of the Indexed Job (parallelism = completions)',
    })
    .option('name', {
      type: 'string',
      default: 'canary-gate-shards',
      describe: 'name of the Job and the plan Secret (a DNS label of at most 50 characters)',
    })
    .option('namespace', { type: 'string', describe: 'namespace (default: the one kubectl applies to)' })
    .option('image', {
      type: 'string',
      describe: 'image with canary-gate as its entrypoint (default: $CANARY_GATE_SHARD_IMAGE, else canary-gate:latest)',
    })
    .example(
      "$0 shard-job --url http://checkout.shop.svc:8080/ -r 40000/s -d 2m -c 400 --shards 4 -H 'authorization: Bearer ${env:TOKEN}' | kubectl apply -f -",
      'the Secret and the Job of 4 shards; the pods read TOKEN from the Secret canary-gate-shards-env',
    )
    .example('$0 shard-job canary.yaml -d 5m --shards 8', "a scenario's traffic and requests as 8 pods") as Argv<
    T & ShardJobArgs
  >;
}

/** Run the command; resolves to the exit code. */
export async function runShardJobCommand(args: ShardJobArgs, io: CliIO): Promise<number> {
  const markers = envMarkers();
  const redactor = new Redactor();
  let plan: LoadPlan;
  let field: (planField: string) => string;
  if (args.scenario !== undefined) {
    const file = args.scenario;
    const { scenario } = await readScenarioFile(
      file,
      { env: markers.env },
      {
        accept: { modes: RUN_MODES, command: 'shard-job' },
      },
    );
    const url = args.url ?? scenario.targets.canary.url;
    // The flags check duration, warm-up and a rate given; the traffic and requests are the scenario's.
    const flags = planFromArgs({ ...args, url, shards: args.shards, executor: 'process' }, markers.env, redactor);
    plan = scenarioShardPlan(scenario, flags, { shards: args.shards, rateGiven: args.rate !== undefined, file });
    field = (f) =>
      f.startsWith('targets')
        ? args.url !== undefined
          ? '--url'
          : `${file}: targets.canary.url`
        : `${file}: ${f.replace(/^mix/, 'requests')}`;
  } else {
    if (args.url === undefined) throw new UsageError('shard-job: expected a scenario file or --url');
    plan = planFromArgs({ ...args, url: args.url, shards: args.shards, executor: 'process' }, markers.env, redactor);
    field = (f) => (f.endsWith('.body') ? '--body' : f.endsWith('.headers') ? '--header' : '--url');
  }
  const restored = restoreReferences(plan, markers, field);
  if (restored.problems.length > 0)
    throw new UsageError(`cannot print the Job:\n  - ${restored.problems.join('\n  - ')}`, {
      hint: 'send secrets in headers, e.g. -H "authorization: Bearer ${env:TOKEN}"',
    });
  const options = {
    name: args.name,
    shards: args.shards,
    image: args.image ?? shardImage(io.env),
    env: restored.names,
    ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
  };
  io.stdout(shardJobYaml(shardJobManifests(restored.plan, options), options));
  return EXIT.ok;
}
