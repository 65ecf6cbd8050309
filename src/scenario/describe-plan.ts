/**
 * The resolved plan of a scenario, as `validate` prints it: steps with their durations, the total
 * run time, the router, the checks and the pre-flight list. Pure: computed from the Scenario,
 * printed before anything is sent (in the spirit of k6's execution plan).
 */
import type { Check, RegressScenario, RunScenario, Scenario } from './schema.js';
import { formatDurationMs } from './units.js';

/** One step of the plan. */
export interface PlannedStep {
  /** Canary weight, percent. */
  weight: number;
  /** Traffic before measuring, ms. */
  warmupMs: number;
  /** Measured time, ms. */
  durationMs: number;
  /** Longest the step may be extended to, ms. */
  maxDurationMs: number;
}

/** What a scenario will do. */
export interface PlanSummary {
  name: string;
  mode: Scenario['mode'];
  /** Load model and rate. */
  load: string;
  targets: Record<string, string>;
  router: string;
  steps: PlannedStep[];
  /** Total run time without and with every step extended to its maximum, ms. */
  totalMs: { min: number; max: number };
  requests: string[];
  checks: string[];
  /** Set when the scenario names no checks and `checks` are the defaults. */
  defaultChecks?: boolean;
  preflight: string[];
  external: string[];
  /** A regression run of two builds: how each starts, the limits, the rounds (regress only). */
  regress?: string[];
}

const ms = formatDurationMs;

function bound(check: Check, value: number): string {
  if (check.unit === 'ms') return ms(value);
  if (check.unit === 'fraction') return `${Number((value * 100).toFixed(4))}%`;
  return `${value}/s`;
}

/** One check in words: "p99 ≤ 250ms; ≤ baseline × 1.1 + 1ms (score only)" (checks are critical unless said). */
export function describeCheck(check: Check): string {
  const parts: string[] = [];
  if (check.max !== undefined) parts.push(`≤ ${bound(check, check.max)}`);
  if (check.min !== undefined) parts.push(`≥ ${bound(check, check.min)}`);
  if (check.vsBaseline) parts.push(`≤ baseline × ${check.vsBaseline.ratio} + ${bound(check, check.vsBaseline.slack)}`);
  if (check.vsStored) parts.push(`≤ stored baseline × ${check.vsStored.ratio} + ${bound(check, check.vsStored.slack)}`);
  return `${check.name}: canary ${check.metric} ${parts.join('; ')}${check.critical ? '' : ' (score only)'} [${check.group}]`;
}

function describeRouter(router: RunScenario['router']): string {
  switch (router.type) {
    case 'split':
      return 'split: canary-gate sends w % of its requests to the canary';
    case 'proxy':
      return `proxy on ${router.listen}${router.sticky ? `, sticky by ${'header' in router.sticky ? `header ${router.sticky.header}` : `cookie ${router.sticky.cookie}`}` : ''}`;
    case 'nginx':
      return `nginx: upstream "${router.upstreamName}" in ${router.upstreamFile}, reload with ${JSON.stringify(router.reload)}${router.pidFile ? `, then wait for the workers of ${router.pidFile} from before it to stop accepting` : ''}`;
    case 'exec':
      return `exec: ${JSON.stringify(router.command)} (timeout ${ms(router.timeout)})`;
    case 'webhook':
      return `webhook: POST ${router.url}${router.bearerToken ? ' with a bearer token' : ''}${router.hmacSecret ? ' signed with HMAC-SHA256' : ''}, ${router.retries} retries`;
  }
}

function describeRegress(s: RegressScenario): string[] {
  const r = s.regress;
  const { warmup, stepDuration } = s.traffic;
  const build = (b: RegressScenario['regress']['baseline']) =>
    b.image !== undefined ? `image ${b.image}` : `command ${JSON.stringify(b.command)}`;
  const ports = r.port === 0 ? 'free ports' : `ports ${r.port} and ${r.port + 1}`;
  const containers = r.baseline.image !== undefined;
  const limits = containers
    ? `host networking, cpuset ${r.cpuset ?? 'the last CPU'}${r.cpus !== undefined ? `, ${r.cpus} CPUs` : ''}, ${Math.round(r.memory / 1024 ** 2)} MiB each`
    : 'local processes: no CPU or memory limits';
  return [
    `baseline: ${build(r.baseline)}; candidate: ${build(r.candidate)}`,
    `${ports} given in ${r.portEnv}; healthy when ${r.healthPath} answers 2xx within ${ms(r.startupTimeout)}`,
    limits,
    `${r.rounds} rounds, alternating (A B, B A, …): each build ${ms(warmup)} warm-up + ${ms(stepDuration)} measured per round, ${ms(r.rounds * 2 * (warmup + stepDuration))} of load in all`,
  ];
}

function describeTracing(t: NonNullable<RunScenario['tracing']>): string {
  return `tracing: traceparent on ${Number((t.sample * 100).toFixed(4))}% of requests; the ${t.slowest} slowest per arm and step kept${t.urlTemplate ? `, linked to ${t.urlTemplate}` : ''}`;
}

function describeRequests(s: Scenario): string[] {
  return s.requests.map((r) =>
    r.name === undefined
      ? `${r.method} ${r.path} (weight ${r.weight})`
      : `${r.name} (${r.method} ${r.path}, weight ${r.weight})`,
  );
}

function healthUrls(targets: Record<string, { url: string; health: string[] } | undefined>): string[] {
  return Object.entries(targets).flatMap(([arm, target]) =>
    (target?.health ?? []).map((path) => `${arm} ${target?.url.replace(/\/$/, '')}${path}`),
  );
}

/** The plan of a staged run (canary or regression). */
function describeStaged(s: RunScenario): PlanSummary {
  const t = s.traffic;
  const steps = s.steps.map((weight) => ({
    weight,
    warmupMs: t.warmup,
    durationMs: t.stepDuration,
    maxDurationMs: t.maxStepDuration ?? t.stepDuration,
  }));
  const targets: Record<string, string> = {};
  if (s.targets.baseline) targets.baseline = s.targets.baseline.url;
  targets.canary = s.targets.canary.url;
  return {
    name: s.name,
    mode: s.mode,
    load:
      t.rate === undefined
        ? `closed model, ${t.connections} connections per target (not CO-corrected)`
        : `open model, ${t.rate}/s, up to ${t.connections} connections per target, timeout ${ms(t.timeout)}`,
    targets,
    router: describeRouter(s.router),
    steps,
    totalMs: {
      min: steps.reduce((sum, step) => sum + step.warmupMs + step.durationMs, 0),
      max: steps.reduce((sum, step) => sum + step.warmupMs + step.maxDurationMs, 0),
    },
    requests: describeRequests(s),
    checks: s.gates.checks.map(describeCheck),
    ...(s.gates.defaultChecks ? { defaultChecks: true } : {}),
    preflight: [
      ...healthUrls({ baseline: s.targets.baseline, canary: s.targets.canary }),
      ...s.health.extra.map((e) => `${e.name} ${e.url}`),
    ],
    external: [
      ...(s.prometheus?.queries ?? []).map(
        (q) =>
          `prometheus ${q.name}: ${q.query}${q.max !== undefined ? ` ≤ ${q.max}` : ''}${q.min !== undefined ? ` ≥ ${q.min}` : ''}${q.vsBaseline ? ` ≤ baseline × ${q.vsBaseline.ratio}${q.vsBaseline.slack ? ` + ${q.vsBaseline.slack}` : ''}` : ''}; no value: ${q.onUnavailable ?? s.prometheus?.onUnavailable}`,
      ),
      ...(s.alertmanager
        ? [`alertmanager ${s.alertmanager.url}: no firing alerts matching ${JSON.stringify(s.alertmanager.matchers)}`]
        : []),
      ...(s.tracing ? [describeTracing(s.tracing)] : []),
    ],
  };
}

/** The plan of a scenario. */
export function describePlan(s: Scenario): PlanSummary {
  if (s.mode === 'capacity') {
    const c = s.capacity;
    const t = s.traffic;
    return {
      name: s.name,
      mode: s.mode,
      load: `open model, rates searched from ${c.start}/s to ${c.max}/s, up to ${t.connections} connections, timeout ${ms(t.timeout)}`,
      targets: { canary: s.targets.canary.url },
      router: 'none: a capacity search moves no traffic',
      steps: [],
      totalMs: { min: 0, max: 0 },
      requests: describeRequests(s),
      checks: [],
      preflight: healthUrls({ canary: s.targets.canary }),
      external: [
        `capacity: SLO ${c.slo}, from ${c.start}/s up to ${c.max}/s, ${ms(t.warmup)} warm-up + ${ms(c.stepDuration)} per rate, precision ${c.precision * 100}%, ${ms(c.cooldown)} cool-down after a failing step; run it with canary-gate capacity`,
      ],
    };
  }
  if (s.mode === 'regress') {
    const t = s.traffic;
    const loadMs = s.regress.rounds * 2 * (t.warmup + t.stepDuration);
    return {
      name: s.name,
      mode: s.mode,
      regress: describeRegress(s),
      load: `open model, ${t.rate}/s, up to ${t.connections} connections per build, timeout ${ms(t.timeout)}`,
      targets: { baseline: s.targets.baseline.url, canary: s.targets.canary.url },
      router: 'none: regress runs the same load against each build in turn',
      steps: [{ weight: 100, warmupMs: t.warmup, durationMs: t.stepDuration, maxDurationMs: t.stepDuration }],
      totalMs: { min: loadMs, max: loadMs },
      requests: describeRequests(s),
      checks: s.gates.checks.map(describeCheck),
      preflight: healthUrls(s.targets),
      external: s.tracing ? [describeTracing(s.tracing)] : [],
    };
  }
  return describeStaged(s);
}

/** The plan as text. */
export function renderPlan(p: PlanSummary): string {
  const label = (name: string): string => `  ${`${name}:`.padEnd(10)}`;
  const lines = [`${p.name} (${p.mode})`, `${label('load')}${p.load}`];
  for (const [arm, url] of Object.entries(p.targets)) lines.push(`${label(arm)}${url}`);
  if (p.regress) lines.push('  regress:', ...p.regress.map((r) => `    - ${r}`));
  else if (p.mode !== 'capacity') lines.push(`${label('router')}${p.router}`);
  if (p.steps.length > 0 && !p.regress) {
    lines.push('  steps:');
    p.steps.forEach((step, i) => {
      const extend = step.maxDurationMs > step.durationMs ? ` (extendable to ${ms(step.maxDurationMs)})` : '';
      lines.push(
        `    ${i + 1}. ${String(step.weight).padStart(3)}% canary: ${ms(step.warmupMs)} warm-up + ${ms(step.durationMs)} measured${extend}`,
      );
    });
    const total = p.totalMs.max > p.totalMs.min ? `${ms(p.totalMs.min)} to ${ms(p.totalMs.max)}` : ms(p.totalMs.min);
    lines.push(`${label('total')}${total}`);
  }
  lines.push('  requests:', ...p.requests.map((r) => `    - ${r}`));
  const checksLabel = p.defaultChecks ? '  checks (the defaults: the scenario names none):' : '  checks:';
  lines.push(p.checks.length > 0 ? checksLabel : `${label('checks')}none (nothing can fail a step)`);
  lines.push(...p.checks.map((c) => `    - ${c}`));
  if (p.preflight.length > 0)
    lines.push(`  pre-flight: ${p.preflight.length} health checks`, ...p.preflight.map((h) => `    - ${h}`));
  if (p.external.length > 0) lines.push('  external:', ...p.external.map((e) => `    - ${e}`));
  return lines.join('\n');
}
