/**
 * The scenario schema: the single source of truth for scenario files. It is the validator, the
 * TypeScript types (z.input / z.output), the JSON Schema (`canary-gate schema`) and the field docs;
 * every field's `describe` is its one-line doc. Defaults are applied here and nowhere else.
 */
import { z } from 'zod';
import { sloOrProblems } from './slo.js';
import { durationOrProblem, type Parsed, percentOrProblem } from './units.js';
import { bytes, duration, percent, rate } from './values.js';

/** Latency percentiles and statistics a check can name. */
export const LATENCY_METRICS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'] as const;
/** Every metric a check can name; "distribution" compares whole latency distributions (Mann-Whitney U). */
export const METRICS = [...LATENCY_METRICS, 'distribution', 'errorRate', 'throughput'] as const;

const httpUrl = (description: string) =>
  z
    .string()
    .describe(description)
    .refine(
      (value) => {
        try {
          const url = new URL(value);
          return url.protocol === 'http:' || url.protocol === 'https:';
        } catch {
          return false;
        }
      },
      {
        error: (issue) =>
          `expected an absolute http(s) URL like "http://127.0.0.1:8080", found ${JSON.stringify(issue.input)}`,
      },
    );

const path = (description: string) =>
  z.string().describe(description).regex(/^\//, { message: 'expected a path starting with "/"' });

const argv = (description: string) =>
  z.array(z.string()).min(1, { message: 'expected a command as a non-empty list of arguments' }).describe(description);

/** One service a canary run talks to. */
export const TargetSchema = z
  .strictObject({
    url: httpUrl('base URL of the service; request paths are appended to it'),
    health: z
      .array(path('health endpoint path'))
      .default([])
      .describe('health endpoints (e.g. /health/live, /health/ready) that must answer 2xx before any weight changes'),
  })
  .describe('a service: its base URL and health endpoints');

/** One request of the mix. */
export const RequestSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('name for reports and per-endpoint histograms; default "METHOD path"'),
    method: z
      .string()
      .regex(/^[A-Za-z]+$/, { message: 'expected an HTTP method like GET or POST' })
      .transform((m) => m.toUpperCase())
      .default('GET')
      .describe('HTTP method'),
    path: path('path and query, appended to the target URL'),
    headers: z.record(z.string(), z.string()).default({}).describe('request headers; ${env:NAME} values are secrets'),
    body: z.string().optional().describe('request body, sent as is'),
    weight: z.number().positive().default(1).describe('relative share of this request in the mix'),
  })
  .describe('one request of the mix');

/** How traffic is generated at each step. */
export const TrafficSchema = z
  .strictObject({
    rate: rate('constant arrival rate (open model); omit for the closed model').optional(),
    connections: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe('connections per target: the in-flight limit (open model) or the concurrency (closed model)'),
    workers: z.number().int().positive().default(1).describe('worker threads the generator is spread over'),
    timeout: duration('per-request timeout; timeouts are recorded at this value').default(10_000),
    warmup: duration('at each step, traffic before measuring starts (measurements discarded)').default(5000),
    stepDuration: duration('how long each step is measured').default(30_000),
    minStepDuration: duration('shortest a step may be judged after (sequential looks start here)').optional(),
    maxStepDuration: duration('longest a step may be extended while the judge is inconclusive').optional(),
  })
  .describe('how load is generated at each step');

const stickySchema = z
  .union([
    z.strictObject({ header: z.string().min(1).describe('request header whose value pins a client to an arm') }),
    z.strictObject({ cookie: z.string().min(1).describe('cookie whose value pins a client to an arm') }),
  ])
  .describe('keep a client on one arm by hashing a header or a cookie');

/** How traffic is moved between baseline and canary. */
export const RouterSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({ type: z.literal('split').describe('the load engine itself sends w % of requests to the canary') })
      .describe('split: no infrastructure; canary-gate sends the traffic'),
    z
      .strictObject({
        type: z.literal('proxy').describe('a built-in weighted reverse proxy that real traffic passes through'),
        listen: z
          .string()
          .regex(/^(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):\d+$/, { message: 'expected host:port like "127.0.0.1:9000"' })
          .describe('address the proxy listens on, host:port'),
        sticky: stickySchema.optional(),
      })
      .describe('proxy: a weighted reverse proxy; measures the traffic it carries'),
    z
      .strictObject({
        type: z.literal('nginx').describe('weighted upstreams written to a file, then nginx is reloaded'),
        upstreamFile: z.string().min(1).describe('file the weighted upstream block is written to'),
        upstreamName: z.string().min(1).default('canary_gate').describe('name of the upstream block'),
        reload: argv('command that reloads nginx, as argv').default(['nginx', '-s', 'reload']),
        verifyUrl: httpUrl('URL through nginx used to check that a new weight took effect').optional(),
      })
      .describe('nginx: weighted upstreams in a file nginx includes'),
    z
      .strictObject({
        type: z.literal('exec').describe('a command run with {weight} substituted; never a shell'),
        command: argv('argv; "{weight}" in any argument becomes the canary percentage'),
        timeout: duration('how long the command may run').default(30_000),
      })
      .describe('exec: runs a command for each weight change'),
    z
      .strictObject({
        type: z.literal('webhook').describe('POSTs {"weight","step","run"} to a URL'),
        url: httpUrl('where weight changes are POSTed'),
        bearerToken: z.string().optional().describe('sent as "authorization: Bearer …"; use ${env:NAME}'),
        hmacSecret: z
          .string()
          .optional()
          .describe('signs the body (HMAC-SHA256) in x-canary-gate-signature; use ${env:NAME}'),
        retries: z.number().int().min(0).default(3).describe('retries with exponential backoff'),
        timeout: duration('per-attempt timeout').default(5000),
      })
      .describe('webhook: POSTs each weight change'),
  ])
  .default({ type: 'split' })
  .describe('how traffic moves between baseline and canary');

const limitSchema = z
  .strictObject({
    ratio: z.number().positive().describe('allowed canary/reference ratio, e.g. 1.10 for +10 %'),
    slack: z
      .union([z.string(), z.number()])
      .optional()
      .describe('absolute slack added to the limit: a duration for latency, a percentage for errorRate'),
  })
  .describe('canary ≤ reference × ratio + slack');

/** Unit a check's bounds are in, after parsing. */
export type CheckUnit = 'ms' | 'fraction' | 'perSec';

/** A check with its bounds parsed into its metric's unit and its defaults applied. */
export interface Check {
  /** Name in reports. */
  name: string;
  /** What is measured on the canary arm. */
  metric: (typeof METRICS)[number];
  /** Unit of max, min and slack: ms for latency, a fraction for errorRate, per second for throughput. */
  unit: CheckUnit;
  /** Absolute upper bound. */
  max?: number;
  /** Absolute lower bound (throughput). */
  min?: number;
  /** Limit relative to the live baseline arm. */
  vsBaseline?: { ratio: number; slack: number };
  /** Limit relative to the stored baseline. */
  vsStored?: { ratio: number; slack: number };
  /** A failure rolls back at once. */
  critical: boolean;
  /** Weight group for the score. */
  group: string;
}

/** One check of the judge. */
export const CheckSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('name in reports; default derived from metric and kind'),
    metric: z.enum(METRICS).describe('what is measured on the canary arm'),
    max: z
      .union([z.string(), z.number()])
      .optional()
      .describe('absolute upper bound: a duration for latency metrics ("250ms"), a percentage for errorRate ("1%")'),
    min: rate('absolute lower bound, for throughput').optional(),
    vsBaseline: limitSchema.optional().describe('limit relative to the live baseline arm'),
    vsStored: limitSchema.optional().describe('limit relative to the stored baseline file'),
    critical: z.boolean().default(false).describe('a failure rolls back at once, whatever the score'),
    group: z.string().min(1).optional().describe('weight group for the score; default "latency" or "errors"'),
  })
  .superRefine((check, ctx) => {
    if (check.max === undefined && check.min === undefined && !check.vsBaseline && !check.vsStored) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected at least one of max, min, vsBaseline, vsStored' });
    }
    if (check.metric === 'throughput' && check.max !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'throughput takes min, not max' });
    }
    if (check.metric === 'distribution' && !check.vsBaseline && !check.vsStored) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'distribution compares with a reference: expected vsBaseline or vsStored',
      });
    }
    if (check.metric === 'distribution' && check.max !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'distribution takes vsBaseline or vsStored, not max' });
    }
    if (check.metric !== 'throughput' && check.min !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `${check.metric} takes max, not min` });
    }
    if (check.max !== undefined && check.metric !== 'throughput') {
      const parsed = boundOrProblem(check.metric, check.max);
      if ('problem' in parsed)
        ctx.addIssue({ code: 'custom', path: ['max'], message: parsed.problem, input: check.max });
    }
    for (const key of ['vsBaseline', 'vsStored'] as const) {
      const slack = check[key]?.slack;
      if (slack === undefined) continue;
      const parsed = boundOrProblem(check.metric, slack);
      if ('problem' in parsed)
        ctx.addIssue({ code: 'custom', path: [key, 'slack'], message: parsed.problem, input: slack });
    }
  })
  .describe('one check: an absolute bound and/or limits relative to the baseline arm or a stored baseline');

/** Statistical settings of the judge. */
export const StatisticsSchema = z
  .strictObject({
    alpha: z
      .number()
      .gt(0)
      .lt(0.5)
      .default(0.01)
      .describe("false-rollback budget per run: shared by the steps, spent over each step's looks (O'Brien-Fleming)"),
    minSamples: z.number().int().positive().default(200).describe('fewest requests per arm before a check can pass'),
    maxIncrease: percent('median increase a distribution check allows when it names no ratio (effect size)').default(
      0.05,
    ),
    inconclusive: z
      .enum(['rollback', 'continue'])
      .default('rollback')
      .describe('what a step still inconclusive at maxStepDuration does: roll back, or count as passing'),
  })
  .describe('statistical settings of the judge');

/** The judge's configuration. */
export const GatesSchema = z
  .strictObject({
    checks: z.array(CheckSchema).default([]).describe('the checks, evaluated at every step'),
    statistics: StatisticsSchema.prefault({}),
    weights: z
      .record(z.string(), z.number().nonnegative())
      .default({})
      .describe('weight of each check group in the 0–10 score; groups not named weigh 1'),
    passScore: z.number().min(0).max(10).default(7).describe('lowest score that promotes'),
  })
  .describe('the judge: checks, statistics, scoring');

/** Placeholders a PromQL query template may use. */
export const QUERY_PLACEHOLDERS = ['arm', 'target', 'window', 'weight', 'step'] as const;

/** What a check does when its source cannot give a value (empty result, NaN, HTTP error, timeout). */
const unavailableSchema = z
  .enum(['error', 'inconclusive'])
  .describe(
    'when the source gives no value (empty result, NaN, HTTP error, timeout): "error" fails closed and rolls the step back; "inconclusive" extends the step, then statistics.inconclusive decides',
  );

/** A PromQL query checked at every look at every step. */
export const PromQuerySchema = z
  .strictObject({
    name: z.string().min(1).describe('name in reports'),
    query: z
      .string()
      .min(1)
      .describe(
        'PromQL template; {{arm}} (canary or baseline), {{target}} (host:port of that arm), {{window}} (the measured time so far, e.g. "30s"), {{weight}} and {{step}} are substituted',
      ),
    max: z.number().optional().describe("the canary's value must be at most this"),
    min: z.number().optional().describe("the canary's value must be at least this"),
    vsBaseline: z
      .strictObject({
        ratio: z.number().positive().describe('allowed canary/baseline ratio, e.g. 1.2'),
        slack: z.number().nonnegative().default(0).describe("absolute slack added to the limit, in the query's unit"),
      })
      .optional()
      .describe('canary ≤ baseline × ratio + slack, the query evaluated once per arm'),
    critical: z
      .boolean()
      .default(true)
      .describe('a failure rolls back at once, whatever the score; false lets it count in the score only'),
    onUnavailable: unavailableSchema.optional(),
    group: z.string().min(1).default('external').describe('weight group for the score'),
  })
  .superRefine((q, ctx) => {
    if (q.max === undefined && q.min === undefined && q.vsBaseline === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected at least one of max, min, vsBaseline' });
    }
    for (const match of q.query.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      const name = match[1] ?? '';
      if (!(QUERY_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['query'],
          message: `unknown placeholder {{${name}}}: expected one of ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
        });
      }
    }
  })
  .describe('a PromQL query with bounds');

/** Where the Prometheus checks come from. */
export const PrometheusSchema = z
  .strictObject({
    url: httpUrl('Prometheus base URL (the HTTP API is under /api/v1)'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('headers sent with every query, e.g. authorization; ${env:NAME} values are secrets'),
    timeout: duration('per-query timeout').default(5000),
    minWindow: duration(
      'shortest {{window}} rendered: rate() needs at least two scrapes inside it, so make it twice the scrape interval or more',
    ).default(30_000),
    onUnavailable: unavailableSchema.default('error'),
    queries: z.array(PromQuerySchema).default([]).describe('queries checked at every look'),
  })
  .describe('Prometheus as a source of external checks');

/** Alertmanager: active alerts that match fail the step. */
export const AlertmanagerSchema = z
  .strictObject({
    url: httpUrl('Alertmanager base URL (the API is under /api/v2)'),
    matchers: z
      .array(
        z.string().regex(/^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*".*"\s*$/, {
          message: 'expected a matcher like severity=~"critical|warning" or service="checkout"',
        }),
      )
      .default([])
      .describe('alerts matching all of these (e.g. severity=~"critical|warning") fail the step'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('headers sent with every request, e.g. authorization; ${env:NAME} values are secrets'),
    timeout: duration('request timeout').default(5000),
    onUnavailable: unavailableSchema.default('error'),
    critical: z.boolean().default(true).describe('a matching alert rolls back at once, whatever the score'),
  })
  .describe('Alertmanager: active (not silenced, not inhibited) alerts that match roll back');

/** Trace context on requests, and the slowest requests kept as exemplars. */
export const TracingSchema = z
  .strictObject({
    sample: percent('share of requests that carry a W3C traceparent header (sampled)').default(1),
    slowest: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe('slowest sampled requests kept per arm and step, with trace id, status and latency'),
    urlTemplate: z
      .string()
      .regex(/\{traceId\}/, { message: 'expected a URL with {traceId}, e.g. "http://jaeger:16686/trace/{traceId}"' })
      .optional()
      .describe('link to a trace in reports, e.g. "http://127.0.0.1:16686/trace/{traceId}" (Jaeger) or a Tempo URL'),
  })
  .describe('W3C trace context on requests; the slowest keep their trace ids in reports');

/** A capacity search. */
export const CapacitySchema = z
  .strictObject({
    slo: z
      .string()
      .min(1)
      .superRefine((text, ctx) => {
        const parsed = sloOrProblems(text);
        if ('problems' in parsed)
          for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem, input: text });
      })
      .describe(
        'the SLO every step must meet: comma-separated terms metric<bound or metric<=bound; metrics p50, p90, p95, p99, p999, max, mean (bound a duration) and errors (bound a percentage), e.g. "p99<50ms,errors<0.1%"',
      ),
    start: rate('first rate tried').default(100),
    max: rate('highest rate tried').default(50_000),
    stepDuration: duration('how long each rate is measured (after traffic.warmup at that rate)').default(10_000),
    precision: percent('stop bisecting when the bracket is narrower than this').default(0.05),
    cooldown: duration('pause after a failing step, so the queue an overload built up is not measured next').default(
      1000,
    ),
  })
  .describe('capacity search: the highest rate that meets the SLO');

const envSchema = (description: string) =>
  z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected an environment variable name' }),
      z.string(),
    )
    .default({})
    .describe(description);

/** One build of a regression run: a container image, or a local process for users without Docker. */
export const RegressArmSchema = z
  .strictObject({
    image: z.string().min(1).optional().describe('local container image (never pulled), e.g. "myapp:1.4.0"'),
    command: argv('a local process instead of a container, as argv (no shell)').optional(),
    env: envSchema('environment of this build only, on top of regress.env'),
  })
  .superRefine((arm, ctx) => {
    if ((arm.image === undefined) === (arm.command === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'expected exactly one of image and command' });
    }
  })
  .describe('one build: an image or a command');

/** A regression run of two builds on this machine, interleaved round by round. */
export const RegressSchema = z
  .strictObject({
    baseline: RegressArmSchema.describe('build N: what the candidate is judged against'),
    candidate: RegressArmSchema.describe('build N+1: the build under test'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65534)
      .default(18081)
      .describe(
        'the baseline listens on this port and the candidate on port + 1 (host networking); 0 picks free ports',
      ),
    portEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected an environment variable name' })
      .default('PORT')
      .describe('environment variable that tells each service which port to listen on'),
    env: envSchema('environment of both builds'),
    healthPath: path('path that must answer 2xx before load starts').default('/health'),
    startupTimeout: duration('how long each build may take to start and answer its health path').default(30_000),
    cpuset: z
      .string()
      .regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, { message: 'expected CPUs like "1", "0-1" or "0,2"' })
      .optional()
      .describe('CPUs both containers are pinned to (docker --cpuset-cpus); default: the last CPU of the machine'),
    cpus: z.number().positive().optional().describe('CPU quota of each container (docker --cpus); default: none'),
    memory: bytes('memory limit of each container, swap included (docker --memory)').default(256 * 1024 ** 2),
    rounds: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(4)
      .describe('interleaved rounds; each measures both builds for traffic.stepDuration, alternating which goes first'),
  })
  .superRefine((r, ctx) => {
    if ((r.baseline.image === undefined) !== (r.candidate.image === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['candidate'],
        message: 'expected both builds as images or both as commands: a mixed pair is not measured alike',
      });
    }
  })
  .describe('regression run: start both builds here under the same limits and alternate the same load between them');

/**
 * The default checks of a comparison with a reference (compare against a stored baseline, regress
 * against the baseline build): p50 and p99 within 10 % + 1 ms, the distribution (Mann-Whitney U,
 * a 10 % median shift), and the error rate at most twice the reference's + 0.1 % (critical).
 */
export function defaultRelativeChecks(limit: 'vsBaseline' | 'vsStored'): Check[] {
  const check = (name: Check['metric'], ratio: number, slack: number, critical = false): Check => ({
    name,
    metric: name,
    unit: name === 'errorRate' ? 'fraction' : 'ms',
    [limit]: { ratio, slack },
    critical,
    group: name === 'errorRate' ? 'errors' : 'latency',
  });
  return [
    check('p50', 1.1, 1),
    check('p99', 1.1, 1),
    check('distribution', 1.1, 0),
    check('errorRate', 2, 0.001, true),
  ];
}

/** Checks of a regress scenario that names none: the defaults held against the live baseline build. */
export const REGRESS_DEFAULT_CHECKS: readonly Check[] = defaultRelativeChecks('vsBaseline');

/** The targets a regress section implies: each build on 127.0.0.1 at its port. */
export function regressTargets(
  r: Pick<z.output<typeof RegressSchema>, 'port' | 'healthPath'>,
  ports?: [number, number],
) {
  const [baseline, candidate] = ports ?? [r.port, r.port === 0 ? 0 : r.port + 1];
  return {
    baseline: { url: `http://127.0.0.1:${baseline}`, health: [r.healthPath] },
    canary: { url: `http://127.0.0.1:${candidate}`, health: [r.healthPath] },
  };
}

type RawCheck = z.output<typeof CheckSchema>;

type Metric = (typeof METRICS)[number];

function unitOf(metric: Metric): CheckUnit {
  if (metric === 'errorRate') return 'fraction';
  if (metric === 'throughput') return 'perSec';
  return 'ms';
}

/** Parse a bound written as a duration (latency) or a percentage (errorRate). */
function boundOrProblem(metric: Metric, raw: string | number): Parsed {
  return metric === 'errorRate' ? percentOrProblem(raw) : durationOrProblem(raw);
}

function parsedValue(parsed: Parsed): number {
  return 'value' in parsed ? parsed.value : Number.NaN;
}

function resolveCheck(check: RawCheck, name: string): Check {
  const unit = unitOf(check.metric);
  const limit = (l: NonNullable<RawCheck['vsBaseline']>) => ({
    ratio: l.ratio,
    slack: l.slack === undefined ? 0 : parsedValue(boundOrProblem(check.metric, l.slack)),
  });
  const resolved: Check = {
    name,
    metric: check.metric,
    unit,
    critical: check.critical,
    group: check.group ?? (unit === 'ms' ? 'latency' : unit === 'fraction' ? 'errors' : 'throughput'),
  };
  if (check.max !== undefined) resolved.max = parsedValue(boundOrProblem(check.metric, check.max));
  if (check.min !== undefined) resolved.min = check.min;
  if (check.vsBaseline) resolved.vsBaseline = limit(check.vsBaseline);
  if (check.vsStored) resolved.vsStored = limit(check.vsStored);
  return resolved;
}

/** A scenario file. */
export const ScenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema of this file, for editor completion'),
    name: z.string().min(1).describe('what this scenario is called in reports'),
    description: z.string().optional().describe('what this scenario is for'),
    mode: z
      .enum(['canary', 'regression', 'capacity'])
      .default('canary')
      .describe(
        'canary: staged rollout; regression: candidate vs a stored baseline or, with regress, vs a baseline build run here; capacity: SLO-bound rate search',
      ),
    targets: z
      .strictObject({
        baseline: TargetSchema.optional().describe('the version in production (required for canary mode)'),
        canary: TargetSchema.describe(
          'the new version (the candidate in regression runs, the service in capacity runs)',
        ),
      })
      .optional()
      .describe('the services; implied by regress when that section is given'),
    traffic: TrafficSchema.prefault({}),
    requests: z.array(RequestSchema).min(1, { message: 'expected at least one request' }).describe('the request mix'),
    steps: z
      .array(z.number().gt(0).max(100))
      .min(1, { message: 'expected at least one step' })
      .default([10, 25, 50, 75, 100])
      .describe('canary weights in percent, in order'),
    router: RouterSchema,
    gates: GatesSchema.prefault({}),
    baseline: z
      .strictObject({ file: z.string().min(1).describe('baseline file recorded by `canary-gate baseline record`') })
      .optional()
      .describe('stored baseline to compare against'),
    health: z
      .strictObject({
        timeout: duration('per-check timeout').default(2000),
        retries: z.number().int().min(0).default(2).describe('retries before a service counts as unhealthy'),
        extra: z
          .array(z.strictObject({ name: z.string().min(1), url: httpUrl('health URL') }))
          .default([])
          .describe('more services that must be healthy (databases, dependencies)'),
      })
      .prefault({})
      .describe('pre-flight health checks'),
    prometheus: PrometheusSchema.optional(),
    alertmanager: AlertmanagerSchema.optional(),
    tracing: TracingSchema.optional(),
    capacity: CapacitySchema.optional(),
    regress: RegressSchema.optional(),
    outputs: z
      .strictObject({
        dir: z.string().min(1).default('canary-gate-output').describe('folder for results, journal and reports'),
        formats: z
          .array(z.enum(['json', 'markdown', 'junit', 'html', 'hgrm']))
          .default(['json'])
          .describe('report formats written at the end'),
      })
      .prefault({})
      .describe('where results go'),
    hooks: z
      .strictObject({
        rollback: argv('command run after a rollback reset the router').optional(),
        promote: argv('command run after the canary is promoted').optional(),
      })
      .prefault({})
      .describe('commands run at the end of a run'),
  })
  .superRefine((s, ctx) => {
    if (s.targets === undefined && s.regress === undefined) {
      ctx.addIssue({ code: 'custom', path: ['targets'], message: 'expected targets (or a regress section)' });
    }
    if (s.targets !== undefined && s.regress !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['targets'],
        message: 'expected no targets with regress: regress starts the builds and knows their addresses',
      });
    }
    if (s.regress !== undefined && s.mode !== 'regression') {
      ctx.addIssue({ code: 'custom', path: ['mode'], message: 'expected mode: regression with a regress section' });
    }
    if (s.mode === 'canary' && s.targets !== undefined && s.targets.baseline === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['targets', 'baseline'],
        message: 'expected a baseline target in canary mode',
      });
    }
    if (s.mode === 'capacity' && s.capacity === undefined) {
      ctx.addIssue({ code: 'custom', path: ['capacity'], message: 'expected a capacity section in capacity mode' });
    }
    if (s.mode === 'regression' && s.baseline === undefined && s.regress === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseline'],
        message: 'expected a baseline file (or a regress section) in regression mode',
      });
    }
    for (let i = 1; i < s.steps.length; i++) {
      if ((s.steps[i] as number) <= (s.steps[i - 1] as number)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i],
          message: `expected steps in increasing order, found ${s.steps[i]} after ${s.steps[i - 1]}`,
        });
      }
    }
    if (s.traffic.workers > s.traffic.connections) {
      ctx.addIssue({
        code: 'custom',
        path: ['traffic', 'workers'],
        message: `expected at most traffic.connections (${s.traffic.connections}): each worker needs a connection, found ${s.traffic.workers}`,
      });
    }
    const { minStepDuration, maxStepDuration, stepDuration } = s.traffic;
    if (minStepDuration !== undefined && minStepDuration > stepDuration) {
      ctx.addIssue({ code: 'custom', path: ['traffic', 'minStepDuration'], message: 'expected at most stepDuration' });
    }
    if (maxStepDuration !== undefined && maxStepDuration < stepDuration) {
      ctx.addIssue({ code: 'custom', path: ['traffic', 'maxStepDuration'], message: 'expected at least stepDuration' });
    }
    s.gates.checks.forEach((check, i) => {
      const at = (...rest: (string | number)[]) => ['gates', 'checks', i, ...rest];
      if (check.max === undefined && check.min === undefined && !check.vsBaseline && !check.vsStored) {
        ctx.addIssue({
          code: 'custom',
          path: at(),
          message: 'expected at least one of max, min, vsBaseline, vsStored',
        });
      }
      if (check.vsBaseline && s.targets?.baseline === undefined && s.regress === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: at('vsBaseline'),
          message: 'expected a baseline target to compare against',
        });
      }
      if (check.vsStored && s.baseline === undefined) {
        ctx.addIssue({ code: 'custom', path: at('vsStored'), message: 'expected a baseline file to compare against' });
      }
    });
    s.prometheus?.queries.forEach((q, i) => {
      if (q.vsBaseline && s.targets?.baseline === undefined && s.regress === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['prometheus', 'queries', i, 'vsBaseline'],
          message: 'expected a baseline target to compare against',
        });
      }
    });
  })
  .transform(({ gates, targets, ...rest }) => {
    // Unnamed checks are called after their metric; repeats get "#2", "#3".
    const seen = new Map<string, number>();
    const checks = gates.checks.map((check) => {
      const base = check.name ?? check.metric;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      return resolveCheck(check, n === 1 ? base : `${base} #${n}`);
    });
    // Checked above: without a regress section the targets are there.
    const resolvedTargets = targets ?? regressTargets(rest.regress as NonNullable<typeof rest.regress>);
    const withDefaults = checks.length === 0 && rest.regress ? REGRESS_DEFAULT_CHECKS.map((c) => ({ ...c })) : checks;
    return { ...rest, targets: resolvedTargets, gates: { ...gates, checks: withDefaults } };
  })
  .describe('a canary-gate scenario');

/** A scenario as written (before defaults and parsing). */
export type ScenarioInput = z.input<typeof ScenarioSchema>;
/** A scenario with every default applied and every value parsed. */
export type Scenario = z.output<typeof ScenarioSchema>;
