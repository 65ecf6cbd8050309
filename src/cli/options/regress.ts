/**
 * The flags of `regress`: the fields of a regress scenario they stand for (the schema holds their
 * docs and defaults), the shard flags and --out.
 */
import type { Argv } from 'yargs';
import { RegressScenarioSchema } from '../../scenario/schema.js';
import { RUN_FORMATS } from '../../scenario/sections.js';
import { type FieldFlagSpec, fieldFlags } from './fields.js';
import { type ShardArgs, shardFlags } from './shards.js';

/** Flags of regress. */
export interface RegressArgs extends Partial<ShardArgs> {
  scenario?: string;
  out?: string;
  json: boolean;
  quiet: boolean;
  [flag: string]: unknown;
}

/** The flags that stand for fields of a regress scenario (the schema holds their docs and defaults). */
export const REGRESS_FLAGS: readonly FieldFlagSpec[] = [
  { flag: 'baseline-image', path: 'regress.baseline.image', type: 'string', extra: 'build N' },
  { flag: 'candidate-image', path: 'regress.candidate.image', type: 'string', extra: 'build N+1' },
  { flag: 'baseline-cmd', path: 'regress.baseline.command', type: 'string', extra: 'build N: a command line' },
  { flag: 'candidate-cmd', path: 'regress.candidate.command', type: 'string', extra: 'build N+1: a command line' },
  { flag: 'port', path: 'regress.port', type: 'number' },
  { flag: 'port-env', path: 'regress.portEnv', type: 'string' },
  { flag: 'env', path: 'regress.env', type: 'string', array: true, extra: 'KEY=VALUE, repeatable' },
  { flag: 'health-path', path: 'regress.healthPath', type: 'string' },
  { flag: 'startup-timeout', path: 'regress.startupTimeout', type: 'string' },
  { flag: 'cpuset', path: 'regress.cpuset', type: 'string' },
  { flag: 'cpus', path: 'regress.cpus', type: 'number' },
  { flag: 'memory', path: 'regress.memory', type: 'string' },
  { flag: 'rounds', path: 'regress.rounds', type: 'number' },
  { flag: 'rate', path: 'traffic.rate', type: 'string' },
  { flag: 'duration', path: 'traffic.stepDuration', type: 'string' },
  { flag: 'warmup', path: 'traffic.warmup', type: 'string' },
  { flag: 'connections', path: 'traffic.connections', type: 'number' },
  { flag: 'path', path: 'requests[0].path', type: 'string' },
  { flag: 'format', path: 'outputs.formats', type: 'string', array: true, choices: RUN_FORMATS },
];

/** Declare the command's flags (its positional and examples are the command's own). */
export function regressFlags<T>(y: Argv<T>): Argv<T & RegressArgs> {
  return shardFlags(
    fieldFlags(y, RegressScenarioSchema, REGRESS_FLAGS),
    "split each round's load over N generator processes or containers",
  ).option('out', { type: 'string', describe: "output folder (default: the scenario's outputs.dir)" }) as Argv<
    T & RegressArgs
  >;
}
