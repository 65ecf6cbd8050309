/**
 * `canary-gate load <url>`: one target, open model when --rate is given, closed otherwise.
 * Prints the summary table (or --json), progress on stderr while it runs.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { runLoad } from '../load/engine.js';
import { type LoadPlan, planProblems, type RequestSpec } from '../load/plan.js';
import { renderLoadSummary, summarizeLoad } from '../report/load-summary.js';
import { startProgress } from '../report/progress.js';
import { interpolateEnv, Redactor } from '../scenario/secrets.js';
import { parseDurationMs, parseRatePerSec } from '../scenario/units.js';
import type { CliIO } from './io.js';

/** Flags of the load command, as yargs parses them. */
export interface LoadArgs {
  url: string;
  rate?: string;
  duration: string;
  warmup: string;
  connections?: number;
  pipelining: number;
  workers: number;
  method: string;
  header?: string[];
  body?: string;
  timeout: string;
  'max-requests'?: number;
  json: boolean;
  quiet: boolean;
}

/** Default in-flight limit of the open model: enough for rate × latency on most services. */
export const OPEN_MODEL_DEFAULT_CONNECTIONS = 100;
/** Default concurrency of the closed model (autocannon's default). */
export const CLOSED_MODEL_DEFAULT_CONNECTIONS = 10;

/** Declare the command's positional and flags. */
export function loadBuilder<T>(y: Argv<T>): Argv<T & LoadArgs> {
  return y
    .positional('url', {
      type: 'string',
      describe: 'target URL (http or https), e.g. http://127.0.0.1:8080/api',
      demandOption: true,
    })
    .option('rate', {
      alias: 'r',
      type: 'string',
      describe: 'constant arrival rate, e.g. 2000/s or 120/min (open model); omit for the closed model',
    })
    .option('duration', {
      alias: 'd',
      type: 'string',
      default: '10s',
      describe: 'how long to send, e.g. 500ms, 30s, 5m',
    })
    .option('warmup', {
      type: 'string',
      default: '0s',
      describe: 'send at the full rate for this long first, without measuring (connections, JIT, caches)',
    })
    .option('connections', {
      alias: 'c',
      type: 'number',
      describe: `connections (open model: in-flight limit, default ${OPEN_MODEL_DEFAULT_CONNECTIONS}; closed: concurrency, default ${CLOSED_MODEL_DEFAULT_CONNECTIONS})`,
    })
    .option('pipelining', {
      alias: 'p',
      type: 'number',
      default: 1,
      describe: 'requests in flight per connection (closed model)',
    })
    .option('workers', {
      alias: 'w',
      type: 'number',
      default: 1,
      describe: 'worker threads to spread the generator over',
    })
    .option('method', { alias: 'm', type: 'string', default: 'GET', describe: 'HTTP method' })
    .option('header', {
      alias: 'H',
      type: 'string',
      array: true,
      describe: "request header 'name: value'; repeatable; ${env:NAME} is a secret",
    })
    .option('body', { alias: 'b', type: 'string', describe: 'request body' })
    .option('timeout', {
      alias: 't',
      type: 'string',
      default: '10s',
      describe: 'per-request timeout; timeouts are recorded at this value',
    })
    .option('max-requests', {
      type: 'number',
      describe: 'stop after this many requests, even before the duration ends',
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
    .example(
      '$0 load http://127.0.0.1:8080/ -r 20000/s -w 2 -c 200',
      'spread a high rate over two worker threads',
    ) as Argv<T & LoadArgs>;
}

/** The flags that say what one request is: URL, method, headers, body. */
export interface RequestArgs {
  url: string;
  method: string;
  header?: string[];
  body?: string;
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
  try {
    const parsed = new URL(url);
    path = `${parsed.pathname}${parsed.search}`;
    base = parsed.origin;
  } catch {
    problems.push(
      `url: expected an absolute http(s) URL like http://127.0.0.1:8080/, found "${redactor.redactText(url)}"`,
    );
  }
  const request: RequestSpec = { method: args.method.toUpperCase(), path, headers, weight: 1 };
  if (body !== undefined) request.body = body;
  return { base, request };
}

/** Run a parse step; a thrown problem is collected instead of ending the parse. */
function collectProblem(problems: string[]): <V>(fn: () => V) => V | undefined {
  return (fn) => {
    try {
      return fn();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };
}

/** Turn the flags into a validated plan; every problem names its flag. */
export function planFromArgs(args: LoadArgs, env: CliIO['env'], redactor: Redactor): LoadPlan {
  const problems: string[] = [];
  const attempt = collectProblem(problems);
  const ratePerSec =
    args.rate === undefined ? undefined : attempt(() => parseRatePerSec(args.rate as string, '--rate'));
  const durationMs = attempt(() => parseDurationMs(args.duration, '--duration')) ?? 0;
  const timeoutMs = attempt(() => parseDurationMs(args.timeout, '--timeout')) ?? 0;
  const warmupMs = attempt(() => parseDurationMs(args.warmup, '--warmup')) ?? 0;
  const { base, request } = requestFromArgs(args, env, redactor, problems);
  const plan: LoadPlan = {
    targets: [{ arm: 'target', url: base, weight: 1 }],
    mix: [request],
    durationMs,
    warmupMs,
    connections:
      args.connections ??
      (ratePerSec === undefined ? CLOSED_MODEL_DEFAULT_CONNECTIONS : OPEN_MODEL_DEFAULT_CONNECTIONS),
    pipelining: args.pipelining,
    workers: args.workers,
    timeoutMs,
  };
  if (ratePerSec !== undefined) plan.ratePerSec = ratePerSec;
  if (args['max-requests'] !== undefined) plan.maxRequests = args['max-requests'];
  if (problems.length === 0) problems.push(...planProblems(plan).map(asFlagProblem));
  if (problems.length > 0) {
    throw new UsageError(`invalid arguments:\n  - ${problems.map((p) => redactor.redactText(p)).join('\n  - ')}`, {
      hint: 'see canary-gate load --help',
    });
  }
  return plan;
}

const PLAN_FIELD_TO_FLAG: Record<string, string> = {
  'targets[0].url': 'url',
  'mix[0].method': '--method',
  rate: '--rate',
  duration: '--duration',
  warmup: '--warmup',
  connections: '--connections',
  pipelining: '--pipelining',
  workers: '--workers',
  timeout: '--timeout',
  maxRequests: '--max-requests',
};

/** A plan problem ("connections: expected …") restated with the flag's name. */
export function asFlagProblem(problem: string): string {
  const colon = problem.indexOf(':');
  const field = problem.slice(0, colon);
  const flag = PLAN_FIELD_TO_FLAG[field];
  return flag === undefined ? problem : `${flag}${problem.slice(colon)}`;
}

/** Run the command; resolves to the exit code. */
export async function runLoadCommand(args: LoadArgs, io: CliIO): Promise<number> {
  const redactor = new Redactor();
  const plan = planFromArgs(args, io.env, redactor);
  const controller = new AbortController();
  let interrupted = false;
  const unsubscribe = io.onSignal(() => {
    interrupted = true;
    controller.abort();
  });
  const progress = args.quiet ? undefined : startProgress(io, plan);
  try {
    const result = await runLoad(plan, {
      signal: controller.signal,
      ...(progress ? { onProgress: progress.update } : {}),
    });
    progress?.done();
    const summary = summarizeLoad(result, redactor);
    if (args.json) {
      io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
      if (!args.quiet) io.stderr(`${renderLoadSummary(summary)}\n`);
    } else {
      io.stdout(`${renderLoadSummary(summary)}\n`);
    }
    return interrupted ? EXIT.interrupted : EXIT.ok;
  } finally {
    progress?.done();
    unsubscribe();
  }
}
