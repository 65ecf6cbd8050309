/**
 * A capacity search resolved from its scenario (a file, or the one the command-line flags stand
 * for): the SLO, the search's rates, the load of a step, the pre-flight URLs and the --compare
 * target. The schema has already checked every field; what is left is the load engine's own
 * bounds and the --compare URL, each problem named by its flag. Pure.
 */
import { ScenarioError, UsageError } from '../errors.js';
import { type RequestFlags, requestFromFlags } from '../load/flag-plan.js';
import { type LoadPlan, planProblems } from '../load/plan.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import { type FieldFlag, flagNamer, withFlags } from '../scenario/fields.js';
import { validateScenario } from '../scenario/loader.js';
import type { CapacityScenario } from '../scenario/schema.js';
import { interpolateEnv, Redactor } from '../scenario/secrets.js';
import { type Slo, sloOrProblems } from '../scenario/slo.js';
import { SEARCH_DEFAULTS, type SearchConfig } from './search.js';

/** Everything a search needs, resolved and validated before anything is sent. */
export interface CapacityPlan {
  name: string;
  slo: Slo;
  search: SearchConfig;
  stepDurationMs: number;
  warmupMs: number;
  cooldownMs: number;
  /** The load of a step without its rate, duration and warm-up, for the first target. */
  plan: Omit<LoadPlan, 'ratePerSec' | 'durationMs' | 'warmupMs'>;
  /** Base URL of the --compare target. */
  compareUrl?: string;
  /** URLs that must answer before any load (pre-flight). */
  probes: string[];
  /** Which reports to write (json always among them). */
  formats: string[];
}

/** The load engine's field names in its problems, as the capacity command calls them. */
const ENGINE_FIELDS: Record<string, string> = {
  'targets[0].url': 'url',
  'mix[0].method': '--method',
  connections: '--connections',
  workers: '--workers',
  timeout: '--timeout',
  warmup: '--warmup',
  duration: '--step-duration',
};

/** The search a capacity scenario describes; problems (the engine's bounds) are named by flag. */
export function capacityPlan(
  s: CapacityScenario,
  compareUrl: string | undefined,
): { plan: CapacityPlan } | { problems: string[] } {
  const parsed = sloOrProblems(s.capacity.slo);
  // The schema checked the SLO: this cannot fail.
  if ('problems' in parsed) return { problems: parsed.problems.map((p) => `capacity.slo: ${p}`) };
  const url = s.targets.canary.url;
  const targets = [{ arm: 'target', url, weight: 1 }];
  const { mix, connections, workers, timeoutMs, pipelining } = scenarioLoadPlan(s, targets, 0, 0);
  const base = url.replace(/\/+$/, '');
  const health = s.targets.canary.health;
  const probes = health.length > 0 ? health.map((p) => `${base}${p}`) : [`${base}${mix[0]?.path ?? '/'}`];
  if (compareUrl !== undefined) probes.push(`${compareUrl}${mix[0]?.path ?? '/'}`);
  const plan = { targets, mix, connections, pipelining, workers, timeoutMs };
  const t = s.traffic;
  const c = s.capacity;
  const problems = planProblems({ ...plan, ratePerSec: c.start, durationMs: c.stepDuration, warmupMs: t.warmup }).map(
    (p) => {
      const field = p.slice(0, p.indexOf(':'));
      return `${ENGINE_FIELDS[field] ?? field}${p.slice(field.length)}`;
    },
  );
  if (problems.length > 0) return { problems };
  return {
    plan: {
      name: s.name,
      slo: parsed.slo,
      search: {
        startPerSec: c.start,
        maxPerSec: c.max,
        factor: SEARCH_DEFAULTS.factor,
        precision: c.precision,
        maxSteps: SEARCH_DEFAULTS.maxSteps,
      },
      stepDurationMs: c.stepDuration,
      warmupMs: t.warmup,
      cooldownMs: c.cooldown,
      plan,
      ...(compareUrl ? { compareUrl } : {}),
      probes,
      formats: s.outputs.formats.includes('json') ? s.outputs.formats : ['json', ...s.outputs.formats],
    },
  };
}

/**
 * The search a capacity scenario document describes (a file's, flags laid over it, or one made of
 * flags alone), with the --compare target: every problem at once, each field named by `name`
 * (its flag), or a UsageError (URL form) / ScenarioError (file form) listing them.
 */
export function resolveCapacity(o: {
  input: Record<string, unknown>;
  name: (path: string) => string | undefined;
  /** The scenario file, when there is one. */
  file?: string;
  compare?: string;
  env: Readonly<Record<string, string | undefined>>;
  redactor: Redactor;
  /** Problems already found in the flags. */
  problems?: string[];
}): { plan: CapacityPlan; scenario: CapacityScenario } {
  const problems = [...(o.problems ?? [])];
  let scenario: CapacityScenario | undefined;
  try {
    scenario = validateScenario<'capacity'>(o.input, {
      file: '',
      accept: { modes: ['capacity'], command: 'capacity' },
      name: o.name,
    });
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    problems.push(...error.problems);
  }
  const compare = o.compare === undefined ? undefined : compareUrlOrProblem(o.compare, o.env, o.redactor, !!o.file);
  if (compare && 'problem' in compare) problems.push(compare.problem);
  const resolved =
    scenario && problems.length === 0
      ? capacityPlan(scenario, compare && 'url' in compare ? compare.url : undefined)
      : undefined;
  if (resolved && 'problems' in resolved) problems.push(...resolved.problems);
  if (scenario && resolved && 'plan' in resolved) return { plan: resolved.plan, scenario };
  const message = `${o.file ? `${o.file}: ` : ''}invalid arguments; nothing was sent:\n  - ${problems.map((p) => o.redactor.redactText(p)).join('\n  - ')}`;
  throw o.file
    ? new ScenarioError(message, problems)
    : new UsageError(message, { hint: 'see canary-gate capacity --help' });
}

/**
 * The --compare target as a base URL. Both searches must send the same requests, so the request
 * (path and query included) is defined once: by the target URL in the URL form, by `requests` in
 * the scenario form. A --compare URL that carries a path or query of its own would otherwise be
 * dropped without a word (http://h/v1/api against http://h/v2/api measuring v1 twice), so it is
 * refused. The scenario form keeps a base path, as targets.canary.url does.
 */
export function compareUrlOrProblem(
  raw: string,
  env: Readonly<Record<string, string | undefined>>,
  redactor: Redactor,
  fromScenario: boolean,
): { url: string } | { problem: string } {
  let text: string;
  try {
    text = interpolateEnv(raw, env, redactor, '--compare');
  } catch (error) {
    return { problem: (error as Error).message };
  }
  const found = `"${redactor.redactText(text)}"`;
  const parsed = URL.canParse(text) ? new URL(text) : undefined;
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    return { problem: `--compare: expected an absolute http(s) URL like http://127.0.0.1:8081, found ${found}` };
  if (parsed.search !== '')
    return {
      problem: `--compare: expected a URL without a query, found ${found}: the requests (path and query) come from ${fromScenario ? "the scenario's requests" : 'the target URL'}, and both targets get the same ones`,
    };
  if (fromScenario) return { url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}` };
  if (parsed.pathname !== '/')
    return {
      problem: `--compare: expected an origin like http://127.0.0.1:8081, found path "${redactor.redactText(parsed.pathname)}" in ${found}: the request path comes from the target URL, and both targets get the same request (to compare different base paths, use a scenario: --compare then takes a base URL)`,
    };
  return { url: parsed.origin };
}

/**
 * The search a capacity command line describes: its flags laid over a scenario file's document
 * (`loaded`), or, in the URL form, a scenario made of the target URL, the request flags and the
 * flags alone (`urlFlags` name the request fields). Throws as resolveCapacity does.
 */
export function capacityFromFlags(o: {
  flags: readonly FieldFlag[];
  urlFlags: readonly FieldFlag[];
  args: RequestFlags & Readonly<Record<string, unknown>> & { compare?: string | undefined };
  env: Readonly<Record<string, string | undefined>>;
  loaded?: { input: Record<string, unknown>; redactor: Redactor; file: string };
}): { plan: CapacityPlan; scenario: CapacityScenario; redactor: Redactor; file: string | undefined } {
  const { flags, args, env, loaded } = o;
  const compare = args.compare === undefined ? {} : { compare: args.compare };
  if (loaded !== undefined) {
    const { redactor, file } = loaded;
    const name = flagNamer(flags, args);
    const input = withFlags(loaded.input, flags, args);
    return { ...resolveCapacity({ input, name, file, env, redactor, ...compare }), redactor, file };
  }
  const redactor = new Redactor();
  const problems: string[] = [];
  const { base, request } = requestFromFlags(args, env, redactor, problems);
  const doc = {
    name: redactor.redactText(base),
    mode: 'capacity',
    targets: { canary: { url: base } },
    requests: [request],
    capacity: {},
  };
  // Every field of the URL form comes from a flag.
  const all = [...flags, ...o.urlFlags];
  const flagOf = flagNamer(all, Object.fromEntries(all.map((f) => [f.flag, true])));
  const name = (path: string) => (path === 'targets.canary.url' ? 'url' : flagOf(path));
  const input = withFlags(doc, flags, args);
  return { ...resolveCapacity({ input, name, env, redactor, problems, ...compare }), redactor, file: undefined };
}
