/**
 * The sections a scenario is made of, shared by the modes that use them (schema.ts puts each
 * mode together). Every field's `describe` is its one-line doc and every default is here; a mode
 * whose runs need other defaults (a regression run of two builds is short and at a fixed rate)
 * gets its own variant of the section, built from the same field definitions. Pure.
 */
import { z } from 'zod';
import { SCENARIO_LIMITS as L } from './limits.js';
import { controlCharAt, encodePath } from './request-path.js';
import { largestLatencyLimitMs, sloOrProblems } from './slo.js';
import { bytes, duration, percent, rate, timeout } from './values.js';

/** An absolute http(s) URL; a URL of another scheme is named by its scheme. */
export const httpUrl = (description: string) =>
  z
    .string()
    .max(L.maxPathChars)
    .describe(description)
    .refine((value) => !URL.canParse(value) || new URL(value).port !== '0', {
      error: (issue) => `expected a port from 1 to 65535, found 0 in ${JSON.stringify(issue.input)}`,
    })
    .refine((value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol), {
      error: (issue) => {
        const text = String(issue.input);
        return URL.canParse(text)
          ? `expected http: or https:, found "${new URL(text).protocol}" in ${JSON.stringify(text)}`
          : `expected an absolute http(s) URL like "http://127.0.0.1:8080", found ${JSON.stringify(issue.input)}`;
      },
    });

/**
 * A request path as sent: it starts with "/", has no control characters and no fragment, and
 * anything else a request target may not carry as is (a space, a quote, non-ASCII) is
 * percent-encoded. Checked after ${env:NAME} is substituted, so a secret with a space is encoded
 * too, rather than rejected by the HTTP client in the middle of a run.
 */
const path = (description: string) =>
  z
    .string()
    .max(L.maxPathChars)
    .describe(description)
    .regex(/^\//, { message: 'expected a path starting with "/"' })
    .superRefine((value, ctx) => {
      const at = controlCharAt(value);
      if (at >= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a path without control characters, found ${JSON.stringify(value[at])} at position ${at}`,
        });
      }
      if (value.includes('#')) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a path without a fragment: "#…" is never sent (write %23 for a literal #)',
        });
      }
    })
    .transform(encodePath);

const argv = (description: string) =>
  z
    .array(z.string().max(L.maxTextChars))
    .min(1, { message: 'expected a command as a non-empty list of arguments' })
    .max(L.maxArgs)
    .describe(description);

/** Header names are HTTP tokens; values carry no line breaks or NULs (they would split the request). */
const headers = (description: string) =>
  z
    .record(
      z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { message: 'expected a header name (letters, digits, -)' }),
      z
        .string()
        .max(L.maxTextChars)
        .refine((value) => controlCharAt(value.replaceAll('\t', ' ')) < 0, {
          message: 'expected a header value without line breaks or control characters',
        })
        // HTTP/1.1 carries header values as bytes: the client refuses anything past U+00FF.
        .refine((value) => [...value].every((c) => (c.codePointAt(0) as number) <= 0xff), {
          message: 'expected a header value of Latin-1 characters (percent-encode anything else)',
        }),
    )
    .refine((r) => Object.keys(r).length <= L.maxHeaders, { message: `expected at most ${L.maxHeaders} headers` })
    .default({})
    .describe(description);

const text = () => z.string().max(L.maxTextChars);

const envName = () =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected an environment variable name' });

/** One service a run talks to. */
export const TargetSchema = z
  .strictObject({
    url: httpUrl('base URL of the service; request paths are appended to it'),
    health: z
      .array(path('health endpoint path'))
      .max(L.maxChecks)
      .default([])
      .describe('health endpoints (e.g. /health/live, /health/ready) that must answer 2xx before any weight changes'),
  })
  .describe('a service: its base URL and health endpoints');

/** One request of the mix. */
export const RequestSchema = z
  .strictObject({
    name: text().min(1).optional().describe('name for reports and per-endpoint histograms; default "METHOD path"'),
    method: z
      .string()
      .max(20)
      .regex(/^[A-Za-z]+$/, { message: 'expected an HTTP method like GET or POST' })
      .transform((m) => m.toUpperCase())
      .default('GET')
      .describe('HTTP method'),
    path: path('path and query, appended to the target URL'),
    headers: headers('request headers; ${env:NAME} values are secrets'),
    body: z.string().max(L.maxBodyChars).optional().describe('request body, sent as is'),
    weight: z.number().positive().max(1_000_000).default(1).describe('relative share of this request in the mix'),
  })
  .describe('one request of the mix');

/** The request mix. */
export const RequestsSchema = z
  .array(RequestSchema)
  .min(1, { message: 'expected at least one request' })
  .max(L.maxRequests)
  .describe('the request mix');

/** In-flight limit of the open model when none is given: enough for rate × latency on most services. */
export const OPEN_MODEL_CONNECTIONS = 100;
/** Concurrency of the closed model when none is given (autocannon's default). */
export const CLOSED_MODEL_CONNECTIONS = 10;

// The fields of a traffic section, each with the default its mode gives it.
const traffic = {
  rate: () => rate('constant arrival rate (open model); omit for the closed model'),
  connections: (d: number) =>
    z
      .number()
      .int()
      .positive()
      .max(L.maxConnections)
      .default(d)
      .describe('connections per target: the in-flight limit (open model) or the concurrency (closed model)'),
  workers: () =>
    z.number().int().positive().max(L.maxWorkers).default(1).describe('worker threads the generator is spread over'),
  timeout: () => timeout('per-request timeout; timeouts are recorded at this value'),
  warmup: (what: string) => duration(`${what}, traffic before measuring starts (measurements discarded)`),
};

/** Each worker needs a connection of its own, and sends at most its ceiling. */
function workersWithinConnections(
  t: { workers: number; connections: number; rate?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if (t.workers > t.connections) {
    ctx.addIssue({
      code: 'custom',
      path: ['workers'],
      message: `expected at most traffic.connections (${t.connections}): each worker needs a connection, found ${t.workers}`,
    });
  }
  if (t.rate !== undefined && t.rate > L.maxRatePerWorker * t.workers) {
    ctx.addIssue({
      code: 'custom',
      path: ['rate'],
      message: `expected at most ${L.maxRatePerWorker}/s per worker (workers: ${t.workers}), found ${t.rate}/s; raise workers or lower the rate`,
    });
  }
}

/** How load is generated at each step of a staged run. */
export const TrafficSchema = z
  .strictObject({
    rate: traffic.rate().optional(),
    connections: traffic.connections(OPEN_MODEL_CONNECTIONS),
    workers: traffic.workers(),
    timeout: traffic.timeout().default(10_000),
    warmup: traffic.warmup('at each step').default(5000),
    stepDuration: duration('how long each step is measured', { positive: true }).default(30_000),
    minStepDuration: duration('shortest a step may be judged after (sequential looks start here)', {
      positive: true,
    }).optional(),
    maxStepDuration: duration('longest a step may be extended while the judge is inconclusive', {
      positive: true,
    }).optional(),
  })
  .superRefine((t, ctx) => {
    workersWithinConnections(t, ctx);
    if (t.minStepDuration !== undefined && t.minStepDuration > t.stepDuration) {
      ctx.addIssue({ code: 'custom', path: ['minStepDuration'], message: 'expected at most stepDuration' });
    }
    if (t.maxStepDuration !== undefined && t.maxStepDuration < t.stepDuration) {
      ctx.addIssue({ code: 'custom', path: ['maxStepDuration'], message: 'expected at least stepDuration' });
    }
  })
  .describe('how load is generated at each step');

/**
 * How load is generated at each rate of a capacity search. The search sets the rate and how long
 * each is measured (capacity.stepDuration); the timeout, when not given, follows the SLO.
 */
export const CapacityTrafficSchema = z
  .strictObject({
    connections: traffic.connections(OPEN_MODEL_CONNECTIONS),
    workers: traffic.workers(),
    timeout: traffic
      .timeout()
      .optional()
      .describe(
        "per-request timeout; timeouts are recorded at this value; default 10 × the SLO's largest latency bound, from 1s to 10s",
      ),
    warmup: traffic.warmup('at each rate').default(1000),
  })
  .superRefine(workersWithinConnections)
  .describe('how load is generated at each rate the search tries');

/** How load is generated in each round of a regression run of two builds: short, at a fixed rate. */
export const RegressTrafficSchema = z
  .strictObject({
    rate: traffic.rate().default(200).describe('constant arrival rate (open model) of the load on each build'),
    connections: traffic.connections(50),
    workers: traffic.workers(),
    timeout: traffic.timeout().default(5000),
    warmup: traffic.warmup('before each build is measured in a round').default(1000),
    stepDuration: duration('how long each build is measured per round', { positive: true }).default(5000),
  })
  .superRefine(workersWithinConnections)
  .describe('how load is generated on each build in each round');

/** A one-off load against one target (`canary-gate load`): how long and how hard, with its defaults. */
export const LoadSchema = z
  .strictObject({
    rate: traffic.rate().optional(),
    duration: duration('how long to send', { positive: true }).default(10_000),
    warmup: duration('send at the full rate for this long first, without measuring (connections, JIT, caches)').default(
      0,
    ),
    connections: z
      .number()
      .int()
      .positive()
      .max(L.maxConnections)
      .optional()
      .describe(
        `connections (open model: in-flight limit, default ${OPEN_MODEL_CONNECTIONS}; closed: concurrency, default ${CLOSED_MODEL_CONNECTIONS})`,
      ),
    pipelining: z
      .number()
      .int()
      .positive()
      .max(L.maxPipelining)
      .default(1)
      .describe('requests in flight per connection (closed model)'),
    workers: traffic.workers(),
    timeout: traffic.timeout().default(10_000),
    maxRequests: z
      .number()
      .int()
      .positive()
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe('stop after this many requests, even before the duration ends'),
  })
  .superRefine((o, ctx) =>
    workersWithinConnections({ ...o, connections: o.connections ?? Math.max(o.workers, OPEN_MODEL_CONNECTIONS) }, ctx),
  )
  .transform((o) => ({
    ...o,
    connections: o.connections ?? (o.rate === undefined ? CLOSED_MODEL_CONNECTIONS : OPEN_MODEL_CONNECTIONS),
  }))
  .describe('a load against one target');

/** The default per-request timeout of a capacity search: 10 × the SLO's largest latency bound, from 1 s to 10 s. */
export function capacityTimeoutMs(sloText: string): number {
  const parsed = sloOrProblems(sloText);
  const largest = 'slo' in parsed ? largestLatencyLimitMs(parsed.slo) : undefined;
  return Math.min(10_000, Math.max(1000, 10 * (largest ?? 1000)));
}

/** Canary weights in percent, in order. */
export const StepsSchema = z
  .array(z.number().gt(0).max(100))
  .min(1, { message: 'expected at least one step' })
  .max(L.maxSteps)
  .default([10, 25, 50, 75, 100])
  .describe('canary weights in percent, in order');

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
        pidFile: z
          .string()
          .min(1)
          .max(L.maxPathChars)
          .optional()
          .describe(
            "nginx's pid file (nginx on this machine, Linux): a reload takes once every worker from before it has stopped accepting",
          ),
      })
      .describe('nginx: weighted upstreams in a file nginx includes'),
    z
      .strictObject({
        type: z.literal('exec').describe('a command run with {weight} substituted; never a shell'),
        command: argv('argv; "{weight}" in any argument becomes the canary percentage'),
        timeout: timeout('how long the command may run').default(30_000),
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
        retries: z.number().int().min(0).max(10).default(3).describe('retries with exponential backoff'),
        timeout: timeout('per-attempt timeout').default(5000),
      })
      .describe('webhook: POSTs each weight change'),
  ])
  .default({ type: 'split' })
  .describe('how traffic moves between baseline and canary');

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
    headers: headers('headers sent with every query, e.g. authorization; ${env:NAME} values are secrets'),
    timeout: timeout('per-query timeout').default(5000),
    minWindow: duration(
      'shortest {{window}} rendered: rate() needs at least two scrapes inside it, so make it twice the scrape interval or more',
    ).default(30_000),
    onUnavailable: unavailableSchema.default('error'),
    queries: z.array(PromQuerySchema).max(L.maxChecks).default([]).describe('queries checked at every look'),
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
      .max(L.maxChecks)
      .default([])
      .describe('alerts matching all of these (e.g. severity=~"critical|warning") fail the step'),
    headers: headers('headers sent with every request, e.g. authorization; ${env:NAME} values are secrets'),
    timeout: timeout('request timeout').default(5000),
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
    stepDuration: duration('how long each rate is measured (after traffic.warmup at that rate)', {
      positive: true,
    }).default(10_000),
    precision: percent('stop bisecting when the bracket is narrower than this').default(0.05),
    cooldown: duration('pause after a failing step, so the queue an overload built up is not measured next').default(
      1000,
    ),
  })
  .superRefine((c, ctx) => {
    if (c.max < c.start) {
      ctx.addIssue({
        code: 'custom',
        path: ['max'],
        message: `expected a rate at least start (${c.start}/s), found ${c.max}/s`,
      });
    }
    if (!(c.precision > 0 && c.precision < 1)) {
      ctx.addIssue({
        code: 'custom',
        path: ['precision'],
        message: `expected a percentage above 0% and below 100%, found ${Number((c.precision * 100).toFixed(4))}%`,
      });
    }
    if (!(c.stepDuration > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['stepDuration'],
        message: `expected a positive duration, found ${c.stepDuration}ms`,
      });
    }
  })
  .describe('capacity search: the highest rate that meets the SLO');

const envSchema = (description: string) => z.record(envName(), z.string()).default({}).describe(description);

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
    portEnv: envName().default('PORT').describe('environment variable that tells each service which port to listen on'),
    env: envSchema('environment of both builds'),
    healthPath: path('path that must answer 2xx before load starts').default('/health'),
    startupTimeout: timeout('how long each build may take to start and answer its health path').default(30_000),
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

/** Report formats of a run's result (staged runs and regression runs). */
export const RUN_FORMATS = ['json', 'markdown', 'junit', 'html', 'hgrm'] as const;
/** Report formats of a capacity search. */
export const CAPACITY_FORMATS = ['json', 'markdown', 'html'] as const;

/** Where results go; `formats` and its default depend on what the mode reports. */
export function outputsSchema<F extends string>(formats: readonly [F, ...F[]], byDefault: F[]) {
  return z
    .strictObject({
      dir: z.string().min(1).default('canary-gate-output').describe('folder for results, journal and reports'),
      formats: z.array(z.enum(formats)).default(byDefault).describe('report formats written at the end'),
    })
    .prefault({})
    .describe('where results go');
}

/** The stored baseline a run compares against. */
export const BaselineFileSchema = z
  .strictObject({ file: z.string().min(1).describe('baseline file recorded by `canary-gate baseline record`') })
  .describe('stored baseline to compare against');

/** Pre-flight health checks of a staged run. */
export const HealthSchema = z
  .strictObject({
    timeout: timeout('per-check timeout').default(2000),
    retries: z.number().int().min(0).max(10).default(2).describe('retries before a service counts as unhealthy'),
    extra: z
      .array(z.strictObject({ name: text().min(1), url: httpUrl('health URL') }))
      .max(L.maxChecks)
      .default([])
      .describe('more services that must be healthy (databases, dependencies)'),
  })
  .prefault({})
  .describe('pre-flight health checks');

/** Commands run at the end of a staged run. */
export const HooksSchema = z
  .strictObject({
    rollback: argv('command run after a rollback reset the router').optional(),
    promote: argv('command run after the canary is promoted').optional(),
  })
  .prefault({})
  .describe('commands run at the end of a run');
