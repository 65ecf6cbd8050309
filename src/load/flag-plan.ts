/**
 * A load as the command line says it: one request (a URL, --method, --header, --body) turned into
 * the target's origin and a RequestSpec, with `${env:NAME}` substituted and redacted, and the load
 * flags into a checked LoadPlan. Pure: every problem is collected, each naming its flag, so a
 * command lists them all at once.
 */
import { UsageError } from '../errors.js';
import type { FieldFlag } from '../scenario/fields.js';
import { validateSection } from '../scenario/loader.js';
import { interpolateEnv, type Redactor } from '../scenario/secrets.js';
import { LoadSchema, RequestSchema } from '../scenario/sections.js';
import { type LoadPlan, planProblems, type RequestSpec } from './plan.js';

/** What the request flags hold, as parsed (unchecked). */
export interface RequestFlags {
  url: string;
  method?: string | undefined;
  header?: readonly string[] | undefined;
  body?: string | undefined;
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

/**
 * The target's origin and the request from the URL and request flags; `${env:NAME}` is
 * substituted (and its value redacted). Problems, each naming its flag, go to `problems`.
 */
export function requestFromFlags(
  args: RequestFlags,
  env: Readonly<Record<string, string | undefined>>,
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
    if (parsed.port === '0')
      problems.push(`url: expected a port from 1 to 65535, found 0 in "${redactor.redactText(url)}"`);
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

/** The load engine's field names in its problems, as flags. */
const ENGINE_FIELD_FLAG: Record<string, string> = { 'targets[0].url': 'url', 'mix[0].method': '--method' };

/**
 * The plan of one target that the load flags (`flags` maps each to its LoadSchema field) and the
 * request flags in `args` describe, with the problems `check` finds in it (e.g. sharding's). Throws
 * a UsageError listing every problem, each naming its flag.
 */
export function loadPlanFromFlags(
  flags: readonly FieldFlag[],
  args: RequestFlags & Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  redactor: Redactor,
  check: (plan: LoadPlan) => string[] = () => [],
): LoadPlan {
  const problems: string[] = [];
  const settings = validateSection(
    LoadSchema,
    Object.fromEntries(flags.map((f) => [f.path, args[f.flag]])),
    (path) => `--${flags.find((f) => f.path === path)?.flag ?? path}`,
  );
  if ('problems' in settings) problems.push(...settings.problems);
  const { base, request } = requestFromFlags(args, env, redactor, problems);
  if ('value' in settings && problems.length === 0) {
    const s = settings.value;
    const plan: LoadPlan = {
      targets: [{ arm: 'target', url: base, weight: 1 }],
      mix: [request],
      durationMs: s.duration,
      warmupMs: s.warmup,
      connections: s.connections,
      pipelining: s.pipelining,
      workers: s.workers,
      timeoutMs: s.timeout,
      ...(s.rate !== undefined ? { ratePerSec: s.rate } : {}),
      ...(s.maxRequests !== undefined ? { maxRequests: s.maxRequests } : {}),
    };
    problems.push(
      ...planProblems(plan).map((p) => {
        const field = p.slice(0, p.indexOf(':'));
        const flag = ENGINE_FIELD_FLAG[field] ?? (flags.some((f) => f.path === field) ? `--${field}` : field);
        return `${flag}${p.slice(field.length)}`;
      }),
    );
    problems.push(...check(plan));
    if (problems.length === 0) return plan;
  }
  throw new UsageError(`invalid arguments:\n  - ${problems.map((p) => redactor.redactText(p)).join('\n  - ')}`, {
    hint: 'see canary-gate load --help',
  });
}
