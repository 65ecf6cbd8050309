/**
 * Flags several commands share, and flags declared from the scenario fields they set: their help
 * and defaults come from the schema (scenario/fields.ts), never written here again.
 */
import type { Argv } from 'yargs';
import type { z } from 'zod';
import { type FieldFlag, flagHelp } from '../scenario/fields.js';
import { RequestSchema } from '../scenario/sections.js';
import { type MetricsTargets, metricsTargets } from '../session/run-metrics.js';

/** A flag that sets a scenario field, as yargs declares it. */
export interface FieldFlagSpec extends FieldFlag {
  type: 'string' | 'number';
  alias?: string;
  array?: boolean;
  choices?: readonly string[];
  /** Said after the field's doc, before its default. */
  extra?: string;
}

/** Declare `flags` on a command, each described by its field's doc and default in `schema`. */
export function fieldFlags<T>(y: Argv<T>, schema: z.ZodType, flags: readonly FieldFlagSpec[]): Argv<T> {
  let out = y;
  for (const f of flags) {
    out = out.option(f.flag, {
      type: f.type,
      describe: flagHelp(schema, f.path, f.extra),
      ...(f.alias ? { alias: f.alias } : {}),
      // "-d -1s" must read "-1s" as the value (and say what is wrong with it), not as flags -1 -s.
      ...(f.array ? { array: true } : { nargs: 1 }),
      ...(f.choices ? { choices: f.choices } : {}),
    }) as Argv<T>;
  }
  return out;
}

/** The metrics flags of run and demo. */
export interface MetricsArgs {
  'metrics-port'?: number;
  'metrics-host': string;
  pushgateway?: string;
}

/** Declare the metrics flags on a command. */
export function metricsFlags<T>(y: Argv<T>): Argv<T & MetricsArgs> {
  return y
    .option('metrics-port', {
      type: 'number',
      describe: 'serve Prometheus metrics of the run on this port at /metrics (0 picks a free port)',
    })
    .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'address the metrics port binds to' })
    .option('pushgateway', {
      type: 'string',
      describe: 'Pushgateway URL the final state is pushed to when the run ends (job "canary-gate")',
    }) as Argv<T & MetricsArgs>;
}

/** Where the metrics flags send a run's metrics; a bad value is a usage error. */
export function metricsOf(args: MetricsArgs): MetricsTargets | undefined {
  return metricsTargets({ port: args['metrics-port'], host: args['metrics-host'], pushgateway: args.pushgateway });
}

/** The flags that say what one request is: URL, method, headers, body. */
export interface RequestArgs {
  url: string;
  method?: string;
  header?: string[];
  body?: string;
}

/** Declare --method, --header and --body. */
export function requestFlags<T>(y: Argv<T>, what = ''): Argv<T> {
  return y
    .option('method', {
      alias: 'm',
      type: 'string',
      describe: flagHelp(RequestSchema, 'method', what.trim() || undefined),
    })
    .option('header', {
      alias: 'H',
      type: 'string',
      array: true,
      describe: `request header 'name: value'${what}; repeatable; \${env:NAME} is a secret`,
    })
    .option('body', { alias: 'b', type: 'string', describe: `request body${what}` });
}
