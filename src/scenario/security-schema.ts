/**
 * The scenario's `security` section: TLS, authentication, rate-limit and response-header
 * invariants that canary-gate probes on both arms, in pre-flight and at every step. One zod source
 * for the validator, the types, the JSON Schema and the field docs; every value is bounded. Pure.
 *
 * The rate-limit model lives here too, beside the fields it reads, because the schema refuses a
 * probe that could not tell a missing limit from a working one.
 */
import { z } from 'zod';
import { durationOrProblem, formatDurationMs, formatRatePerSec, percentOrProblem, rateOrProblem } from './units.js';

/** TLS protocol versions, oldest first, as Node and OpenSSL name them. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
/** A TLS protocol version. */
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** Rate-limit headers a probe can require on throttled answers. */
export const RATE_LIMIT_HEADERS = ['retry-after', 'ratelimit'] as const;

/** The fastest a rate-limit probe may send, per arm: probes stay far below a load test. */
export const MAX_PROBE_RATE_PER_SEC = 1000;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOSTNAME =
  /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An HTTP header name, lower-cased (HTTP/1.1 and HTTP/2 compare names case-insensitively). */
const headerName = (description: string) =>
  z
    .string()
    .max(100, { message: 'expected a header name of at most 100 characters' })
    .regex(HEADER_NAME, { message: 'expected an HTTP header name like "x-api-key"' })
    .transform((name) => name.toLowerCase())
    .describe(description);

/** A duration within bounds, in ms; the message names the bound as people write durations. */
const boundedDuration = (description: string, minMs: number, maxMs: number) =>
  z
    .union([z.string(), z.number()])
    .transform((input, ctx) => {
      const parsed = durationOrProblem(input);
      if ('problem' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.problem, input });
        return z.NEVER;
      }
      if (parsed.value < minMs || parsed.value > maxMs) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration from ${formatDurationMs(minMs)} to ${formatDurationMs(maxMs)}, found ${JSON.stringify(input)}`,
          input,
        });
        return z.NEVER;
      }
      return parsed.value;
    })
    .meta({ description, examples: ['500ms', '10s'] });

/**
 * A rate that must carry its unit: a limit is advertised per second or per minute, and a bare
 * number would be read as per second where "120" most often meant per minute.
 */
const rateWithUnit = (description: string) =>
  z
    .union([z.string(), z.number()])
    .transform((input, ctx) => {
      if (typeof input === 'number' || !/\/\s*[a-z]+\s*$/.test(input)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a rate with its unit like "120/min" or "10/s" (a limit with no unit is ambiguous), found ${JSON.stringify(input)}`,
          input,
        });
        return z.NEVER;
      }
      const parsed = rateOrProblem(input);
      if ('problem' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.problem, input });
        return z.NEVER;
      }
      return parsed.value;
    })
    .meta({ description, examples: ['120/min', '10/s'] });

/** A share from 0 % to 100 %, as a fraction. */
const share = (description: string) =>
  z
    .union([z.string(), z.number()])
    .transform((input, ctx) => {
      const parsed = percentOrProblem(input);
      if ('value' in parsed) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.problem, input });
      return z.NEVER;
    })
    .meta({ description, examples: ['15%'] });

const skipSteps = z
  .array(z.number().int().min(1).max(100))
  .max(100)
  .default([])
  .describe('step numbers (1 = the first step) at which this probe is skipped; pre-flight always runs it');

const requestName = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe('name of the request of the mix to probe (its method, path and headers); default the first request');

/** A regular expression given as text, checked to compile. */
const pattern = (description: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .superRefine((text, ctx) => {
      try {
        new RegExp(text, 'i');
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a regular expression: ${(error as Error).message}`,
          input: text,
        });
      }
    })
    .describe(description);

/** TLS of https targets: protocol version, chain, expiry, hostname, HSTS. */
export const SecurityTlsSchema = z
  .strictObject({
    minVersion: z
      .enum(TLS_VERSIONS)
      .default('TLSv1.2')
      .describe('lowest protocol an arm may negotiate; a handshake offering only the version below it must be refused'),
    ca: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe(
        "PEM file with the CA certificates the chain must verify against; default Node's trust store (plus NODE_EXTRA_CA_CERTS)",
      ),
    hostname: z
      .string()
      .regex(HOSTNAME, { message: 'expected a DNS name like "api.example.com"' })
      .optional()
      .describe('name the certificate must be valid for, also sent as SNI; default the host of the target URL'),
    minDaysToExpiry: z
      .number()
      .int()
      .min(0)
      .max(3650)
      .default(14)
      .describe('fewest days the leaf certificate must still be valid'),
    hsts: z
      .strictObject({
        minMaxAgeDays: z
          .number()
          .int()
          .min(0)
          .max(3650)
          .default(180)
          .describe('shortest max-age the Strict-Transport-Security header may give, in days'),
        includeSubDomains: z.boolean().default(false).describe('the header must also say includeSubDomains'),
      })
      .optional()
      .describe('require a Strict-Transport-Security header on the probed request'),
    critical: z.boolean().default(true).describe('a failed TLS finding on the canary rolls back at once'),
    skipSteps,
  })
  .describe('TLS invariants of https targets');

/** One request that must be refused. */
export const RefusedCaseSchema = z
  .strictObject({
    name: z.string().min(1).max(100).describe('what this case is, in sentences: "no credentials", "expired token"'),
    value: z
      .string()
      .max(8192)
      .optional()
      .describe(
        'the credential sent in auth.header instead of the normal one; omit to send none; ${env:NAME} for secrets',
      ),
  })
  .describe('a request that must be refused');

/** Authentication: refused requests stay refused, normal credentials stay accepted. */
export const SecurityAuthSchema = z
  .strictObject({
    request: requestName,
    header: headerName('the header that carries the credentials in the probed request').default('authorization'),
    refused: z
      .array(RefusedCaseSchema)
      .min(1, { message: 'expected at least one request that must be refused' })
      .max(20)
      .default([{ name: 'no credentials' }])
      .describe('requests that must be refused: without the header, or with another value in it'),
    expect: z
      .array(z.number().int().min(400).max(499))
      .min(1)
      .max(10)
      .default([401, 403])
      .describe('statuses a refused request may get'),
    critical: z
      .boolean()
      .default(true)
      .describe(
        'a refusal with another status, or normal credentials refused, roll back at once; a 2xx to a refused request always does',
      ),
    skipSteps,
  })
  .superRefine((auth, ctx) => {
    const seen = new Set<string>();
    auth.refused.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: ['refused', i, 'name'],
          message: `expected unique names, "${c.name}" repeats`,
        });
      seen.add(c.name);
    });
  })
  .describe('authentication invariants');

const identitySchema = z
  .strictObject({
    header: headerName('header that identifies the client to the limiter, e.g. "x-api-key"'),
    value: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe(
        "the client's identity; default a fresh one for every probe, so one probe's spent budget never carries into the next",
      ),
  })
  .describe('one client identity for the probe; default the connection (the limiter keys on the address)');

/** A rate-limit section as written, before the probe rate's default. */
const rateLimitFields = z.strictObject({
  limit: rateWithUnit('the advertised limit per client, e.g. "120/min"'),
  burst: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(0)
    .describe('requests a client may send at once beyond the steady limit (a fixed window of N per window allows N)'),
  probeRate: rateWithUnit(
    `rate the probe sends at, above the limit; default 3 × limit, at most ${MAX_PROBE_RATE_PER_SEC}/s`,
  ).optional(),
  duration: boundedDuration('how long each probe sends (per arm, apart from the measured load)', 100, 300_000).default(
    10_000,
  ),
  maxRequests: z.number().int().min(2).max(10_000).default(1000).describe('most requests one probe sends per arm'),
  tolerance: share(
    'how far the share of throttled answers may be from the limit’s share, in percentage points',
  ).default(0.15),
  status: z.number().int().min(400).max(599).default(429).describe('the status of a throttled answer'),
  requireHeaders: z
    .array(z.enum(RATE_LIMIT_HEADERS))
    .max(RATE_LIMIT_HEADERS.length)
    .default([])
    .describe(
      'headers every throttled answer must carry: retry-after, ratelimit (RateLimit, RateLimit-Limit or X-RateLimit-Limit)',
    ),
  identity: identitySchema.optional(),
  request: requestName,
  critical: z.boolean().default(true).describe('a limit that is missing or far off on the canary rolls back at once'),
  skipSteps,
});

/** The probe rate when none is given: three times the limit, which leaves about two thirds throttled. */
export function defaultProbeRate(limitPerSec: number): number {
  return Math.min(MAX_PROBE_RATE_PER_SEC, 3 * limitPerSec);
}

/** What one probe sends: its request count and the span from the first send to the last, seconds. */
export function probePlan(r: { probeRate: number; duration: number; maxRequests: number }): {
  requests: number;
  spanSec: number;
} {
  const requests = Math.max(2, Math.min(r.maxRequests, Math.floor((r.probeRate * r.duration) / 1000)));
  return { requests, spanSec: (requests - 1) / r.probeRate };
}

/**
 * Requests a limiter keeping its advertised limit lets through, of `requests` sent evenly over
 * `spanSec`: a bucket of `burst + 1` that refills at `limitPerSec` (nginx `limit_req`, token
 * buckets, and — with burst = N — a fixed window of N).
 */
export function expectedAccepted(limitPerSec: number, burst: number, requests: number, spanSec: number): number {
  return Math.min(requests, burst + 1 + limitPerSec * spanSec);
}

/** How far our send times may be from the limiter's arrival times (timer jitter, the loopback). */
const CLOCK_SLACK_SEC = 0.005;

/**
 * Requests a limiter keeping its advertised limit lets through of requests sent at `offsetsSec`
 * (seconds from the first send, in order): the same bucket as `expectedAccepted`, run over the
 * actual sends. Sends a busy machine held back and then sent together find the bucket empty, so a
 * limiter throttles more of them than of evenly spaced ones; judging them by the even formula
 * would call a correct limiter "far below its limit".
 */
export function acceptedAt(limitPerSec: number, burst: number, offsetsSec: readonly number[]): number {
  const capacity = burst + 1;
  let tokens = capacity;
  let previous = offsetsSec[0] ?? 0;
  let accepted = 0;
  for (const at of offsetsSec) {
    tokens = Math.min(capacity, tokens + Math.max(0, at - previous) * limitPerSec);
    previous = at;
    // Our send times are not the limiter's arrival times: a send a few ms early by our clock
    // (timer jitter) may well have found its token, so the bucket is read with that much slack.
    if (tokens >= 1 - CLOCK_SLACK_SEC * limitPerSec) {
      tokens = Math.max(0, tokens - 1);
      accepted++;
    }
  }
  return accepted;
}

/** The share of a probe's answers a limiter keeping its advertised limit throttles. */
export function expectedThrottledShare(r: {
  limit: number;
  burst: number;
  probeRate: number;
  duration: number;
  maxRequests: number;
}): number {
  const plan = probePlan(r);
  return 1 - expectedAccepted(r.limit, r.burst, plan.requests, plan.spanSec) / plan.requests;
}

/** Rate limiting: the advertised limit holds for one client, neither missing nor far below. */
export const SecurityRateLimitSchema = rateLimitFields
  .superRefine((r, ctx) => {
    const probeRate = r.probeRate ?? defaultProbeRate(r.limit);
    if (r.probeRate !== undefined && r.probeRate > MAX_PROBE_RATE_PER_SEC) {
      ctx.addIssue({
        code: 'custom',
        path: ['probeRate'],
        message: `expected at most ${MAX_PROBE_RATE_PER_SEC}/s, found ${formatRatePerSec(r.probeRate)}`,
      });
      return;
    }
    if (probeRate <= r.limit) {
      ctx.addIssue({
        code: 'custom',
        path: [r.probeRate === undefined ? 'limit' : 'probeRate'],
        message:
          r.probeRate === undefined
            ? `expected a limit below ${MAX_PROBE_RATE_PER_SEC}/s so the probe can send above it, found ${formatRatePerSec(r.limit)}`
            : `expected a probe rate above the limit (${formatRatePerSec(r.limit)}), found ${formatRatePerSec(probeRate)}`,
      });
      return;
    }
    const plan = probePlan({ ...r, probeRate });
    const expected = expectedThrottledShare({ ...r, probeRate });
    if (expected <= r.tolerance) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `the probe cannot tell a missing limit from a working one: ${plan.requests} requests at ${formatRatePerSec(probeRate)} would see about ${pct(expected)} throttled, within the tolerance of ${pct(r.tolerance)}; raise probeRate, duration or maxRequests, or lower burst`,
      });
    }
  })
  .transform((r) => ({ ...r, probeRate: r.probeRate ?? defaultProbeRate(r.limit) }))
  .describe('rate-limit invariants, probed from one client identity above the limit for a bounded time');

const presentRule = z
  .union([
    headerName('header that must be present'),
    z.strictObject({
      name: headerName('header that must be present'),
      value: z.string().max(1024).optional().describe('its exact value (compared case-insensitively)'),
      matching: pattern('a regular expression its value must match (case-insensitive)').optional(),
    }),
  ])
  .describe('a header that must be present: a name, or a name with its value');

const absentRule = z
  .union([
    headerName('header that must be absent'),
    z.strictObject({
      name: headerName('header that must be absent'),
      matching: pattern('only values matching this are forbidden, e.g. "\\d" for a version in Server').optional(),
    }),
  ])
  .describe('a header that must be absent: a name, or a name with the values that are forbidden');

/** A header rule, resolved. */
export interface HeaderRule {
  name: string;
  /** Exact value, case-insensitive (present rules). */
  value?: string;
  /** Pattern (case-insensitive) the value must match (present) or that is forbidden (absent). */
  matching?: string;
}

const toRule = (rule: string | HeaderRule): HeaderRule => (typeof rule === 'string' ? { name: rule } : rule);

/** Response headers that must be present or absent. */
export const SecurityHeadersSchema = z
  .strictObject({
    request: requestName,
    present: z.array(presentRule).max(50).default([]).describe('headers the response must carry'),
    absent: z.array(absentRule).max(50).default([]).describe('headers the response must not carry'),
    critical: z.boolean().default(false).describe('a missing or forbidden header on the canary rolls back at once'),
    skipSteps,
  })
  .superRefine((h, ctx) => {
    if (h.present.length === 0 && h.absent.length === 0)
      ctx.addIssue({ code: 'custom', path: [], message: 'expected at least one rule in present or absent' });
  })
  .transform((h) => ({ ...h, present: h.present.map(toRule), absent: h.absent.map(toRule) }))
  .describe('response-header invariants');

/** The security section. */
export const SecuritySchema = z
  .strictObject({
    tls: SecurityTlsSchema.optional(),
    auth: SecurityAuthSchema.optional(),
    rateLimit: SecurityRateLimitSchema.optional(),
    headers: SecurityHeadersSchema.optional(),
    timeout: boundedDuration('per-request timeout of every probe', 10, 60_000).default(5000),
  })
  .superRefine((s, ctx) => {
    if (!s.tls && !s.auth && !s.rateLimit && !s.headers)
      ctx.addIssue({ code: 'custom', path: [], message: 'expected at least one of tls, auth, rateLimit, headers' });
  })
  .describe(
    'security invariants probed on both arms in pre-flight and at every step; findings are checks in group "security"',
  );

/** A security section as written. */
export type SecurityInput = z.input<typeof SecuritySchema>;
/** A security section with every default applied and every value parsed. */
export type SecurityConfig = z.output<typeof SecuritySchema>;

/** The parts of a scenario the security section is checked against. */
export interface SecurityContext {
  targets: { baseline?: { url: string }; canary: { url: string } };
  requests: readonly { name?: string; method: string; path: string; headers: Record<string, string> }[];
  steps: readonly number[];
}

/** A problem of the security section against the rest of the scenario; path from the scenario root. */
export interface SecurityProblem {
  path: (string | number)[];
  message: string;
}

/** The name a request of the mix goes by: its own, or "METHOD path". */
export function requestLabel(r: { name?: string; method: string; path: string }): string {
  return r.name ?? `${r.method} ${r.path}`;
}

/**
 * Problems of the section against the scenario (cross-field rules the section alone cannot see):
 * tls with a plain-http target, a request name not in the mix, a step number past the last step,
 * an auth header the probed request does not carry.
 */
export function securityProblems(s: SecurityConfig, scenario: SecurityContext): SecurityProblem[] {
  const out: SecurityProblem[] = [];
  if (s.tls) {
    for (const [arm, target] of Object.entries(scenario.targets)) {
      if (target && !target.url.startsWith('https:'))
        out.push({
          path: ['security', 'tls'],
          message: `expected https targets for tls: targets.${arm}.url is plain http`,
        });
    }
  }
  const names = scenario.requests.map(requestLabel);
  for (const probe of ['auth', 'rateLimit', 'headers'] as const) {
    const wanted = s[probe]?.request;
    if (wanted !== undefined && !names.includes(wanted))
      out.push({
        path: ['security', probe, 'request'],
        message: `expected the name of a request of the mix (${names.map((n) => JSON.stringify(n)).join(', ')}), found ${JSON.stringify(wanted)}`,
      });
  }
  for (const probe of ['tls', 'auth', 'rateLimit', 'headers'] as const) {
    (s[probe]?.skipSteps ?? []).forEach((n, i) => {
      if (n > scenario.steps.length)
        out.push({
          path: ['security', probe, 'skipSteps', i],
          message: `expected a step number from 1 to ${scenario.steps.length}, found ${n}`,
        });
    });
  }
  if (s.auth) {
    const request = pickRequest(scenario.requests, s.auth.request);
    const has = request && Object.keys(request.headers).some((h) => h.toLowerCase() === s.auth?.header);
    if (request && !has)
      out.push({
        path: ['security', 'auth', 'header'],
        message: `expected the probed request ("${requestLabel(request)}") to carry the normal credentials in ${s.auth.header}; it has no such header`,
      });
  }
  return out;
}

/** The request a probe uses: the one named, or the first of the mix. */
export function pickRequest<R extends { name?: string; method: string; path: string }>(
  requests: readonly R[],
  name: string | undefined,
): R | undefined {
  return name === undefined ? requests[0] : requests.find((r) => requestLabel(r) === name);
}

function pct(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`;
}
