/**
 * Flags several commands share, and flags declared from the scenario fields they set: their help
 * and defaults come from the schema (scenario/fields.ts), never written here again.
 */
import type { Argv } from 'yargs';
import type { z } from 'zod';
import type { RequestSpec } from '../load/plan.js';
import { type FieldFlag, flagHelp } from '../scenario/fields.js';
import { interpolateEnv, type Redactor } from '../scenario/secrets.js';
import { RequestSchema } from '../scenario/sections.js';
import { type MetricsTargets, metricsTargets } from '../session/run-metrics.js';
import type { CliIO } from './io.js';

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
      ...(f.array ? { array: true } : {}),
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

/** Run a parse step; a thrown problem is collected instead of ending the parse. */
export function collectProblem(problems: string[]): <V>(fn: () => V) => V | undefined {
  return (fn) => {
    try {
      return fn();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };
}

/**
 * The target's origin and the request from the URL and request flags; `${env:NAME}` is
 * substituted (and its value redacted). Problems, each naming its flag, go to `problems`.
 */
export function requestFromArgs(
  args: RequestArgs,
  env: CliIO['env'],
  redactor: Redactor,
  problems: string[],
): { base: string; request: RequestSpec } {
  const attempt = collectProblem(problems);
  const url = attempt(() => interpolateEnv(args.url, env, redactor, 'url')) ?? args.url;
  const headers: Record<string, string> = {};
  for (const raw of args.header ?? []) {
    const colon = raw.indexOf(':');
    if (colon <= 0) {
      problems.push(`--header: expected 'name: value', found "${redactor.redactText(raw)}"`);
      continue;
    }
    const name = raw.slice(0, colon).trim();
    const value = attempt(() => interpolateEnv(raw.slice(colon + 1).trim(), env, redactor, `--header ${name}`));
    if (value !== undefined) headers[name] = value;
  }
  const body =
    args.body === undefined ? undefined : attempt(() => interpolateEnv(args.body as string, env, redactor, '--body'));
  let path = '/';
  let base = url;
  if (URL.canParse(url)) {
    const parsed = new URL(url);
    path = `${parsed.pathname}${parsed.search}`;
    base = parsed.origin;
  } else {
    problems.push(
      `url: expected an absolute http(s) URL like http://127.0.0.1:8080/, found "${redactor.redactText(url)}"`,
    );
  }
  // The schema's default method, upper-cased; a bad one is kept for the engine's check to name.
  const method = RequestSchema.shape.method.safeParse(args.method);
  const request: RequestSpec = {
    method: method.success ? method.data : String(args.method).toUpperCase(),
    path,
    headers,
    weight: 1,
  };
  if (body !== undefined) request.body = body;
  return { base, request };
}
