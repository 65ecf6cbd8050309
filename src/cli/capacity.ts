/**
 * `canary-gate capacity <url | scenario>`: the highest arrival rate that still meets an SLO,
 * searched geometrically then by bisection on the open-model engine; with --compare, the same
 * search on a second target and the capacity ratio. Exit codes per verdict in VERDICT_EXIT: 0 a
 * capacity was measured (found, max-reached, step-limit), 1 no rate met the SLO, 3 the generator
 * was the limit, 130 interrupted; before any load, 2 bad usage and 3 target down.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { probeTarget, searchCapacity } from '../capacity/driver.js';
import {
  CAPACITY_RESULT_SCHEMA_VERSION,
  type CapacityResult,
  type CapacityTargetResult,
  type CapacityVerdict,
  compareCapacity,
} from '../capacity/result.js';
import { SEARCH_DEFAULTS, type SearchConfig, searchConfigProblems } from '../capacity/search.js';
import { ScenarioError, UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { type LoadPlan, planProblems, type RequestSpec } from '../load/plan.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import { renderCapacityHtml } from '../report/capacity-html.js';
import { renderCapacityMarkdown } from '../report/capacity-markdown.js';
import { renderCapacitySummary, renderStepLine } from '../report/capacity-text.js';
import { machineFingerprint } from '../result/run-result.js';
import type { Scenario } from '../scenario/schema.js';
import { interpolateEnv, Redactor } from '../scenario/secrets.js';
import { largestLatencyLimitMs, type Slo, sloOrProblems } from '../scenario/slo.js';
import {
  durationOrProblem,
  formatDurationMs,
  formatRatePerSec,
  percentOrProblem,
  rateOrProblem,
} from '../scenario/units.js';
import { newRunId } from '../session/run-id.js';
import { appendStepSummary } from '../session/step-summary.js';
import type { CliIO } from './io.js';
import { asFlagProblem, OPEN_MODEL_DEFAULT_CONNECTIONS, requestFromArgs } from './load.js';
import { readScenarioFile } from './scenario-file.js';

/** Report formats the command writes. */
export const CAPACITY_FORMATS = ['json', 'markdown', 'html'] as const;

/** Flags of the capacity command, as yargs parses them. Unset flags take the scenario's value. */
export interface CapacityArgs {
  target: string;
  slo?: string;
  start?: string;
  max?: string;
  'step-duration'?: string;
  warmup?: string;
  cooldown?: string;
  precision?: string;
  connections?: number;
  workers?: number;
  timeout?: string;
  method: string;
  header?: string[];
  body?: string;
  compare?: string;
  out?: string;
  format?: string[];
  json: boolean;
  quiet: boolean;
}

/** Defaults of the URL form (the scenario form takes its own from the schema). */
const DEFAULTS = { start: '100/s', max: '50000/s', stepDuration: '10s', warmup: '1s', cooldown: '1s', precision: '5%' };

/** Declare the command's positional and flags. */
export function capacityBuilder<T>(y: Argv<T>): Argv<T & CapacityArgs> {
  return y
    .positional('target', {
      type: 'string',
      describe: 'target URL (http or https), or a scenario file whose capacity section drives the search',
      demandOption: true,
    })
    .option('slo', {
      type: 'string',
      describe: "SLO every step must meet, e.g. 'p99<50ms,errors<0.1%' (p50 p90 p95 p99 p999 max mean errors; < or <=)",
    })
    .option('start', { type: 'string', describe: `first rate tried (default ${DEFAULTS.start})` })
    .option('max', { type: 'string', describe: `highest rate tried (default ${DEFAULTS.max})` })
    .option('step-duration', {
      type: 'string',
      describe: `how long each rate is measured (default ${DEFAULTS.stepDuration})`,
    })
    .option('warmup', {
      type: 'string',
      describe: `traffic at each rate before measuring (default ${DEFAULTS.warmup}; scenario: traffic.warmup)`,
    })
    .option('cooldown', {
      type: 'string',
      describe: `pause after a failing step so the service drains its queue (default ${DEFAULTS.cooldown})`,
    })
    .option('precision', {
      type: 'string',
      describe: `stop when (lowest failing − highest passing) / highest passing is at most this (default ${DEFAULTS.precision})`,
    })
    .option('connections', {
      alias: 'c',
      type: 'number',
      describe: `in-flight limit per target (default ${OPEN_MODEL_DEFAULT_CONNECTIONS})`,
    })
    .option('workers', {
      alias: 'w',
      type: 'number',
      describe: 'worker threads the generator is spread over (default 1)',
    })
    .option('timeout', {
      alias: 't',
      type: 'string',
      describe: "per-request timeout (default 10 × the SLO's largest latency bound, from 1s to 10s)",
    })
    .option('method', { alias: 'm', type: 'string', default: 'GET', describe: 'HTTP method (URL form)' })
    .option('header', {
      alias: 'H',
      type: 'string',
      array: true,
      describe: "request header 'name: value' (URL form); ${env:NAME} is a secret",
    })
    .option('body', { alias: 'b', type: 'string', describe: 'request body (URL form)' })
    .option('compare', {
      type: 'string',
      describe:
        'a second target searched with the same requests; reports capacity(compare) / capacity(target). URL form: an origin only (http://host:port; the request path and query come from the target URL, so a path or query here is refused); scenario form: a base URL, request paths appended',
    })
    .option('out', {
      type: 'string',
      describe: 'folder for the reports (URL form: none without it; scenario form: default outputs.dir/<run>)',
    })
    .option('format', {
      type: 'string',
      array: true,
      choices: CAPACITY_FORMATS,
      describe: 'reports written to --out (default: json, markdown, html)',
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
    .epilogue(VERDICT_EXIT_HELP) as Argv<T & CapacityArgs>;
}

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
  /** Where reports go, if anywhere, and which. */
  outDir?: string;
  formats: string[];
}

const isUrl = (text: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(text);

/** Resolve flags (and a scenario) into a plan; every problem at once, each naming its flag. */
export function capacityPlan(
  args: CapacityArgs,
  env: CliIO['env'],
  redactor: Redactor,
  scenario?: Scenario,
): CapacityPlan {
  const problems: string[] = [];
  const c = scenario?.capacity;
  const take = <V>(
    flag: string,
    raw: string | undefined,
    parse: (s: string) => { value: number } | { problem: string },
    fallback: V,
  ): number | V => {
    if (raw === undefined) return fallback;
    const parsed = parse(raw);
    if ('problem' in parsed) {
      problems.push(`${flag}: ${parsed.problem}`);
      return fallback;
    }
    return parsed.value;
  };
  const value = (parsed: { value: number } | { problem: string }): number => ('value' in parsed ? parsed.value : 0);
  const startPerSec = take('--start', args.start, rateOrProblem, c?.start ?? value(rateOrProblem(DEFAULTS.start)));
  const maxPerSec = take('--max', args.max, rateOrProblem, c?.max ?? value(rateOrProblem(DEFAULTS.max)));
  const stepDurationMs = take(
    '--step-duration',
    args['step-duration'],
    durationOrProblem,
    c?.stepDuration ?? value(durationOrProblem(DEFAULTS.stepDuration)),
  );
  const warmupMs = take(
    '--warmup',
    args.warmup,
    durationOrProblem,
    scenario?.traffic.warmup ?? value(durationOrProblem(DEFAULTS.warmup)),
  );
  const cooldownMs = take(
    '--cooldown',
    args.cooldown,
    durationOrProblem,
    c?.cooldown ?? value(durationOrProblem(DEFAULTS.cooldown)),
  );
  const precision = take(
    '--precision',
    args.precision,
    percentOrProblem,
    c?.precision ?? value(percentOrProblem(DEFAULTS.precision)),
  );
  if (stepDurationMs <= 0) problems.push(`--step-duration: expected a positive duration, found ${stepDurationMs}ms`);

  const sloText = args.slo ?? c?.slo;
  let slo: Slo | undefined;
  if (sloText === undefined) {
    problems.push("--slo: expected an SLO like 'p99<50ms,errors<0.1%'");
  } else {
    const parsed = sloOrProblems(sloText);
    if ('problems' in parsed) problems.push(...parsed.problems.map((p) => `--slo: ${p}`));
    else slo = parsed.slo;
  }
  const defaultTimeoutMs = Math.min(10_000, Math.max(1000, 10 * ((slo && largestLatencyLimitMs(slo)) ?? 1000)));
  const timeoutMs = take('--timeout', args.timeout, durationOrProblem, scenario?.traffic.timeout ?? defaultTimeoutMs);

  let targets: LoadPlan['targets'];
  let mix: RequestSpec[];
  let probes: string[];
  if (scenario) {
    const url = scenario.targets.canary.url;
    targets = [{ arm: 'target', url, weight: 1 }];
    mix = scenarioLoadPlan(scenario, targets, 1, 0).mix;
    const health = scenario.targets.canary.health;
    const base = url.replace(/\/+$/, '');
    probes = health.length > 0 ? health.map((p) => `${base}${p}`) : [`${base}${mix[0]?.path ?? '/'}`];
  } else {
    const { base, request } = requestFromArgs({ ...args, url: args.target }, env, redactor, problems);
    targets = [{ arm: 'target', url: base, weight: 1 }];
    mix = [request];
    probes = [`${base}${request.path}`];
  }
  let compareUrl: string | undefined;
  if (args.compare !== undefined) {
    const parsed = compareUrlOrProblem(args.compare, env, redactor, scenario !== undefined);
    if ('problem' in parsed) problems.push(parsed.problem);
    else {
      compareUrl = parsed.url;
      probes.push(`${compareUrl}${mix[0]?.path ?? '/'}`);
    }
  }
  const plan = {
    targets,
    mix,
    connections: args.connections ?? scenario?.traffic.connections ?? OPEN_MODEL_DEFAULT_CONNECTIONS,
    pipelining: 1,
    workers: args.workers ?? scenario?.traffic.workers ?? 1,
    timeoutMs,
  };
  const search: SearchConfig = {
    startPerSec,
    maxPerSec,
    factor: SEARCH_DEFAULTS.factor,
    precision,
    maxSteps: SEARCH_DEFAULTS.maxSteps,
  };
  // Checks of the resolved values, for the flags not already reported (no problem twice).
  const reported = (problem: string): boolean => {
    const flag = problem.slice(0, problem.indexOf(':'));
    return problems.some((p) => p.startsWith(`${flag}:`));
  };
  const flagOf: Record<string, string> = { start: '--start', max: '--max', precision: '--precision' };
  const stepPlan: LoadPlan = { ...plan, ratePerSec: startPerSec, durationMs: stepDurationMs, warmupMs };
  const later = [
    ...searchConfigProblems(search).map((p) => {
      const field = p.slice(0, p.indexOf(':'));
      return `${flagOf[field] ?? field}${p.slice(field.length)}`;
    }),
    ...planProblems(stepPlan).map(asFlagProblem),
  ];
  problems.push(...later.filter((p) => !reported(p)));
  if (problems.length > 0 || slo === undefined) {
    const where = scenario ? `${args.target}: ` : '';
    const message = `${where}invalid arguments; nothing was sent:\n  - ${problems.map((p) => redactor.redactText(p)).join('\n  - ')}`;
    throw scenario
      ? new ScenarioError(message, problems)
      : new UsageError(message, { hint: 'see canary-gate capacity --help' });
  }
  const formats =
    args.format ??
    (scenario ? scenario.outputs.formats.filter((f) => f !== 'junit' && f !== 'hgrm') : [...CAPACITY_FORMATS]);
  const outDir = args.out ?? (scenario ? join(scenario.outputs.dir, newRunId()) : undefined);
  return {
    name: scenario?.name ?? redactor.redactText(targets[0]?.url ?? ''),
    slo,
    search,
    stepDurationMs,
    warmupMs,
    cooldownMs,
    plan,
    ...(compareUrl ? { compareUrl } : {}),
    probes,
    ...(outDir ? { outDir } : {}),
    formats: formats.includes('json') ? formats : ['json', ...formats],
  };
}

/**
 * The --compare target as a base URL. Both searches must send the same requests, so the request
 * (path and query included) is defined once: by the target URL in the URL form, by `requests` in
 * the scenario form. A --compare URL that carries a path or query of its own would otherwise be
 * dropped without a word (http://h/v1/api against http://h/v2/api measuring v1 twice), so it is
 * refused. The scenario form keeps a base path, as targets.canary.url does.
 */
function compareUrlOrProblem(
  raw: string,
  env: CliIO['env'],
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

/** Read a scenario for the capacity command: it must describe a capacity search. */
async function capacityScenario(file: string, io: CliIO): Promise<{ scenario: Scenario; redactor: Redactor }> {
  const { scenario, redactor } = await readScenarioFile(file, io);
  if (scenario.capacity === undefined) {
    const problem = `${file}: capacity: expected a capacity section (slo, start, max, stepDuration, precision) and mode: capacity, found none`;
    throw new ScenarioError(problem, [problem], { hint: 'scenarios/capacity.yaml is an example' });
  }
  const unsupported = unsupportedByCapacity(scenario);
  if (unsupported.length > 0) {
    throw new UsageError(
      `${file}: capacity cannot honour every part of this scenario; nothing was sent\n  - ${unsupported.join('\n  - ')}`,
      { hint: 'remove these sections for the capacity search, or keep them in a scenario for canary-gate run' },
    );
  }
  return { scenario, redactor };
}

/**
 * Sections of a valid scenario that the capacity search does not act on. Searching anyway would
 * state a capacity without checks the user configured, so they are refused before anything is sent.
 */
export function unsupportedByCapacity(s: Scenario): string[] {
  const out: string[] = [];
  if (s.prometheus)
    out.push('prometheus: the capacity search does not read PromQL checks; each step is judged by capacity.slo alone');
  if (s.alertmanager)
    out.push(
      'alertmanager: the capacity search does not read Alertmanager checks; each step is judged by capacity.slo alone',
    );
  if (s.tracing) out.push('tracing: the capacity search does not trace requests (no traceparent, no exemplars)');
  return out;
}

/**
 * Each verdict's exit code and what it means; --help prints this table. `step-limit` exits 0: as
 * with `max-reached`, a capacity was measured (the highest passing rate, with its interval), only
 * less exactly than asked, and the verdict and its suggestion say so.
 */
export const VERDICT_EXIT: Readonly<Record<CapacityVerdict, { exitCode: number; meaning: string }>> = {
  found: { exitCode: EXIT.ok, meaning: 'capacity found, its interval within --precision' },
  'max-reached': { exitCode: EXIT.ok, meaning: 'every rate up to --max met the SLO: the capacity is at least --max' },
  'step-limit': {
    exitCode: EXIT.ok,
    meaning: `its ${SEARCH_DEFAULTS.maxSteps} steps ran out: a capacity was measured, less exactly than --precision`,
  },
  'slo-fails-at-start': { exitCode: EXIT.noCompliantRate, meaning: 'the SLO failed at --start: no compliant rate' },
  'generator-limited': {
    exitCode: EXIT.generatorLimited,
    meaning: 'the generator, not the service, was the limit (the rates met are a lower bound)',
  },
  interrupted: { exitCode: EXIT.interrupted, meaning: 'SIGINT or SIGTERM: the result holds the curve so far' },
};

const VERDICT_EXIT_HELP = [
  'Verdicts and exit codes of capacity:',
  ...Object.entries(VERDICT_EXIT).map(([v, e]) => `  ${v.padEnd(19)} ${String(e.exitCode).padEnd(4)} ${e.meaning}`),
  `  ${'(nothing sent)'.padEnd(19)} ${'2'.padEnd(4)} bad usage or scenario`,
  `  ${'(nothing sent)'.padEnd(19)} ${'3'.padEnd(4)} the target did not answer the pre-flight request`,
  "With --compare the exit code is the higher of the two searches'.",
  '',
].join('\n');

/** The exit code of a finished run: the highest of its targets' verdicts (see VERDICT_EXIT). */
export function capacityExitCode(targets: readonly CapacityTargetResult[]): number {
  // The codes rank as their severity does: interrupted 130 > generator-limited 3 > no rate 1 > 0.
  return Math.max(EXIT.ok, ...targets.map((t) => VERDICT_EXIT[t.verdict].exitCode));
}

/** Run the command; resolves to the exit code. */
export async function runCapacityCommand(args: CapacityArgs, io: CliIO): Promise<number> {
  const fromScenario = !isUrl(args.target);
  const loaded = fromScenario ? await capacityScenario(args.target, io) : undefined;
  // Error messages can name a URL with a ${env:NAME} secret in it; main redacts every secret this
  // process loaded before it prints one.
  return searchAndReport(args, io, loaded?.redactor ?? new Redactor(), loaded?.scenario);
}

/** Plan, pre-flight, search every target, print and write the result; resolves to the exit code. */
async function searchAndReport(
  args: CapacityArgs,
  io: CliIO,
  redactor: Redactor,
  scenario: Scenario | undefined,
): Promise<number> {
  const p = capacityPlan(args, io.env, redactor, scenario);
  const say = (text: string): void => {
    if (!args.quiet) io.stderr(redactor.redactText(text));
  };
  for (const url of p.probes) await probeTarget(url, p.plan.timeoutMs);

  const controller = new AbortController();
  const unsubscribe = io.onSignal((signal) => {
    say(`\n${signal}: stopping the search\n`);
    controller.abort();
  });
  const startedAt = new Date().toISOString();
  const targets: CapacityTargetResult[] = [];
  try {
    const runs = [{ label: 'target', plan: p.plan }];
    if (p.compareUrl)
      runs.push({ label: 'compare', plan: { ...p.plan, targets: [{ arm: 'target', url: p.compareUrl, weight: 1 }] } });
    for (const run of runs) {
      if (controller.signal.aborted) break;
      say(
        `capacity of ${run.plan.targets[0]?.url}: SLO ${p.slo.text}, from ${formatRatePerSec(p.search.startPerSec)} ×${p.search.factor} up to ${formatRatePerSec(p.search.maxPerSec)}, ${formatDurationMs(p.warmupMs)} warm-up + ${formatDurationMs(p.stepDurationMs)} per step\n`,
      );
      targets.push(
        await searchCapacity({
          label: run.label,
          plan: run.plan,
          slo: p.slo,
          search: p.search,
          stepDurationMs: p.stepDurationMs,
          warmupMs: p.warmupMs,
          cooldownMs: p.cooldownMs,
          signal: controller.signal,
          onStep: (step) => say(`${renderStepLine(run.label, step)}\n`),
        }),
      );
    }
  } finally {
    unsubscribe();
  }
  const [first, second] = targets;
  const result: CapacityResult = redactor.redact({
    schemaVersion: CAPACITY_RESULT_SCHEMA_VERSION,
    kind: 'capacity',
    name: p.name,
    startedAt,
    endedAt: new Date().toISOString(),
    slo: { text: p.slo.text, terms: p.slo.terms },
    settings: {
      startPerSec: p.search.startPerSec,
      maxPerSec: p.search.maxPerSec,
      factor: p.search.factor,
      precision: p.search.precision,
      stepDurationMs: p.stepDurationMs,
      warmupMs: p.warmupMs,
      cooldownMs: p.cooldownMs,
      connections: p.plan.connections,
      workers: p.plan.workers,
      timeoutMs: p.plan.timeoutMs,
      requests: p.plan.mix.map((r) => `${r.method} ${r.path}`),
    },
    targets,
    comparison: first && second ? compareCapacity(first, second) : null,
    machine: machineFingerprint(),
    exitCode: controller.signal.aborted ? EXIT.interrupted : capacityExitCode(targets),
  });
  const written = p.outDir ? writeCapacityReports(result, p.outDir, p.formats, io) : [];
  const summary = renderCapacitySummary(result);
  if (args.json) {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    say(`${summary}\n`);
  } else {
    io.stdout(`${summary}\n`);
  }
  for (const file of written) say(`wrote ${file}\n`);
  return result.exitCode;
}

/** Write the reports; append the Markdown to GitHub's step summary when it names a file. */
function writeCapacityReports(result: CapacityResult, dir: string, formats: readonly string[], io: CliIO): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string): void => {
    writeFileSync(join(dir, name), text);
    files.push(join(dir, name));
  };
  const markdown = renderCapacityMarkdown(result);
  if (formats.includes('json')) write('capacity.json', `${JSON.stringify(result, null, 2)}\n`);
  if (formats.includes('markdown')) write('capacity.md', markdown);
  if (formats.includes('html')) write('capacity.html', renderCapacityHtml(result));
  appendStepSummary(markdown, io.env);
  return files;
}
