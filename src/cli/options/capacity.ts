/**
 * The flags of `capacity`: the fields of a capacity scenario they set (the schema holds their docs
 * and defaults), the request flags of the URL form, the shard flags, --compare and --out.
 */
import type { Argv } from 'yargs';
import type { FieldFlag } from '../../scenario/fields.js';
import { CapacityScenarioSchema } from '../../scenario/schema.js';
import { CAPACITY_FORMATS } from '../../scenario/sections.js';
import { type FieldFlagSpec, fieldFlags } from './fields.js';
import { type RequestArgs, requestFlags } from './request.js';
import { type ShardArgs, shardFlags } from './shards.js';

/** Flags of the capacity command, as yargs parses them. Unset flags take the scenario's value. */
export interface CapacityArgs extends Omit<RequestArgs, 'url'>, Partial<ShardArgs> {
  target: string;
  compare?: string;
  out?: string;
  json: boolean;
  quiet: boolean;
  [flag: string]: unknown;
}

/** The flags that set fields of a capacity scenario (the schema holds their docs and defaults). */
export const CAPACITY_FLAGS: readonly FieldFlagSpec[] = [
  { flag: 'slo', path: 'capacity.slo', type: 'string' },
  { flag: 'start', path: 'capacity.start', type: 'string' },
  { flag: 'max', path: 'capacity.max', type: 'string' },
  { flag: 'step-duration', path: 'capacity.stepDuration', type: 'string' },
  { flag: 'warmup', path: 'traffic.warmup', type: 'string' },
  { flag: 'cooldown', path: 'capacity.cooldown', type: 'string' },
  { flag: 'precision', path: 'capacity.precision', type: 'string' },
  { flag: 'connections', path: 'traffic.connections', type: 'number', alias: 'c' },
  { flag: 'workers', path: 'traffic.workers', type: 'number', alias: 'w' },
  { flag: 'timeout', path: 'traffic.timeout', type: 'string', alias: 't' },
  {
    flag: 'format',
    path: 'outputs.formats',
    type: 'string',
    array: true,
    choices: CAPACITY_FORMATS,
    extra: 'written to --out',
  },
];

/** In the URL form, the target URL and the request flags set these. */
export const CAPACITY_URL_FLAGS: readonly FieldFlag[] = [{ flag: 'method', path: 'requests[0].method' }];

/** Declare the command's flags (its positional and examples are the command's own). */
export function capacityFlags<T>(y: Argv<T>): Argv<T & CapacityArgs> {
  return shardFlags(
    requestFlags(fieldFlags(y, CapacityScenarioSchema, CAPACITY_FLAGS), ' (URL form)'),
    "split each step's load over N generator processes or containers",
  )
    .option('compare', {
      type: 'string',
      describe:
        'a second target searched with the same requests; reports capacity(compare) / capacity(target). URL form: an origin only (http://host:port; the request path and query come from the target URL, so a path or query here is refused); scenario form: a base URL, request paths appended',
    })
    .option('out', {
      type: 'string',
      describe: 'folder for the reports (URL form: none without it; scenario form: default outputs.dir/<run>)',
    }) as Argv<T & CapacityArgs>;
}
