/**
 * The load flags `load` and `shard-job` share (rate, duration, connections, … and the request):
 * declared from LoadSchema, and read into a validated LoadPlan whose problems each name a flag.
 */
import type { Argv } from 'yargs';
import { loadPlanFromFlags } from '../../load/flag-plan.js';
import type { LoadPlan } from '../../load/plan.js';
import type { Redactor } from '../../scenario/secrets.js';
import { LoadSchema } from '../../scenario/sections.js';
import { splitProblems } from '../../shard/split.js';
import type { CliIO } from '../io.js';
import { type FieldFlagSpec, fieldFlags } from './fields.js';
import { type RequestArgs, requestFlags } from './request.js';
import type { ShardArgs } from './shards.js';

/** Flags of the load command, as yargs parses them (shard-job takes them but for --url and the shard flags). */
export interface LoadArgs extends RequestArgs, ShardArgs {
  rate?: string;
  duration?: string;
  warmup?: string;
  connections?: number;
  pipelining?: number;
  workers?: number;
  timeout?: string;
  'max-requests'?: number;
  json: boolean;
  quiet: boolean;
}

/** The flags and the fields of the load settings they set (LoadSchema holds docs and defaults). */
export const LOAD_FLAGS: readonly FieldFlagSpec[] = [
  { flag: 'rate', path: 'rate', type: 'string', alias: 'r', extra: 'e.g. 2000/s or 120/min' },
  { flag: 'duration', path: 'duration', type: 'string', alias: 'd', extra: 'e.g. 500ms, 30s, 5m' },
  { flag: 'warmup', path: 'warmup', type: 'string' },
  { flag: 'connections', path: 'connections', type: 'number', alias: 'c' },
  { flag: 'pipelining', path: 'pipelining', type: 'number', alias: 'p' },
  { flag: 'workers', path: 'workers', type: 'number', alias: 'w' },
  { flag: 'timeout', path: 'timeout', type: 'string', alias: 't' },
  { flag: 'max-requests', path: 'maxRequests', type: 'number' },
];

/** Declare the load flags, then --method, --header and --body. */
export function loadFlags<T>(y: Argv<T>): Argv<T> {
  return requestFlags(fieldFlags(y, LoadSchema, LOAD_FLAGS));
}

/** Turn the flags into a validated plan; every problem names its flag. */
export function planFromArgs(args: LoadArgs, env: CliIO['env'], redactor: Redactor): LoadPlan {
  return loadPlanFromFlags(LOAD_FLAGS, { ...args }, env, redactor, (plan) =>
    args.shards === undefined
      ? []
      : splitProblems(plan, args.shards).map((p) => `--${p.replace(/^maxRequests/, 'max-requests')}`),
  );
}
