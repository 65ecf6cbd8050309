/**
 * The rate-limit probe: the probed request sent from one client identity at a fixed rate above
 * the advertised limit, for a bounded time and count, on its own connections apart from the
 * measured load (its throttled answers are not the arm's errors). The share of throttled answers
 * is held against the share a limiter keeping the advertised limit would throttle: none throttled
 * is a missing limit, far more is a limit far below the advertised one.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  acceptedAt,
  expectedAccepted,
  probePlan,
  type RATE_LIMIT_HEADERS,
  type SecurityConfig,
} from '../scenario/security-schema.js';
import { formatRatePerSec } from '../scenario/units.js';
import type { SecurityFinding } from './finding.js';
import {
  describeRequest,
  headerText,
  type ProbeAnswer,
  type ProbeHttpOptions,
  type ProbeRequest,
  type ProbeTarget,
  probeAgent,
  sendProbe,
  withHeader,
} from './http.js';

type RateLimitConfig = NonNullable<SecurityConfig['rateLimit']>;
type RequiredHeader = (typeof RATE_LIMIT_HEADERS)[number];

/** Probe requests may fail this often (resets under a limiter's pressure) before the probe says nothing. */
const MAX_ERROR_SHARE = 0.1;

/** What one probe of one arm saw. */
export interface RateLimitSample {
  /** Requests sent. */
  sent: number;
  /** Of them, answered with the throttle status. */
  throttled: number;
  /** Of them, with no answer. */
  errors: number;
  /** The most common error code, when there were errors. */
  error?: string;
  /** Seconds from the first request written to the last. */
  spanSec: number;
  /** When each request was written to its connection, seconds from the first, in order (absent in hand-made samples: sent evenly). */
  sendOffsetsSec?: number[];
  /** Throttled answers carrying each required header. */
  withHeader: Partial<Record<RequiredHeader, number>>;
  /** The run was aborted before the probe finished: its figures judge nothing. */
  cutShort?: boolean;
}

/** Whether a throttled answer carries the header a requirement names. */
export function carries(headers: Record<string, string | string[] | undefined>, required: RequiredHeader): boolean {
  if (required === 'retry-after') {
    const v = headerText(headers, 'retry-after')?.trim();
    return v !== undefined && (/^\d+$/.test(v) || !Number.isNaN(Date.parse(v)));
  }
  return ['ratelimit', 'ratelimit-policy', 'ratelimit-limit', 'x-ratelimit-limit'].some(
    (h) => headerText(headers, h) !== undefined,
  );
}

/** Send the probe to one arm. */
export async function sampleRateLimit(
  target: ProbeTarget,
  cfg: RateLimitConfig,
  req: ProbeRequest,
  o: ProbeHttpOptions,
): Promise<RateLimitSample> {
  const plan = probePlan(cfg);
  const headers = cfg.identity
    ? withHeader(req.headers, cfg.identity.header, cfg.identity.value ?? `canary-gate-probe-${randomUUID()}`)
    : req.headers;
  const agent = probeAgent(o, Math.min(plan.requests, 16));
  const intervalMs = 1000 / cfg.probeRate;
  const answers: Promise<ProbeAnswer>[] = [];
  // When each request was written to its connection (its send time until then): requests that
  // waited for one of the connections (a TLS handshake each on a busy client) reach the limiter
  // bunched, and a limiter without a burst throttles more of them than of the schedule's.
  const writtenMs: number[] = [];
  const start = performance.now();
  try {
    for (let i = 0; i < plan.requests && !o.signal?.aborted; i++) {
      const wait = start + i * intervalMs - performance.now();
      if (wait >= 1) await sleep(wait, undefined, o.signal ? { signal: o.signal } : {}).catch(() => {});
      if (o.signal?.aborted) break;
      writtenMs.push(performance.now());
      answers.push(
        sendProbe(agent, target, { ...req, headers }, o, () => {
          writtenMs[i] = performance.now();
        }),
      );
    }
    const settled = await Promise.all(answers);
    const first = Math.min(...writtenMs);
    const offsetsSec = writtenMs.map((ms) => (ms - first) / 1000).sort((a, b) => a - b);
    const sample: RateLimitSample = {
      sent: settled.length,
      throttled: 0,
      errors: 0,
      spanSec: offsetsSec.at(-1) ?? 0,
      sendOffsetsSec: offsetsSec,
      withHeader: {},
      ...(o.signal?.aborted ? { cutShort: true } : {}),
    };
    const codes = new Map<string, number>();
    for (const a of settled) {
      if ('error' in a) {
        sample.errors++;
        codes.set(a.error, (codes.get(a.error) ?? 0) + 1);
      } else if (a.status === cfg.status) {
        sample.throttled++;
        for (const h of cfg.requireHeaders)
          if (carries(a.headers, h)) sample.withHeader[h] = (sample.withHeader[h] ?? 0) + 1;
      }
    }
    const common = [...codes].sort((a, b) => b[1] - a[1])[0];
    if (common) sample.error = common[0];
    return sample;
  } finally {
    await agent.close();
  }
}

/** Judge a sample against the advertised limit. Pure. */
export function judgeRateLimit(
  arm: string,
  cfg: RateLimitConfig,
  req: ProbeRequest,
  s: RateLimitSample,
): SecurityFinding[] {
  const finding = (invariant: string, status: SecurityFinding['status'], sentence: string, extra = {}) =>
    ({
      probe: 'rateLimit',
      invariant,
      arm,
      status,
      sentence,
      critical: cfg.critical,
      requests: s.sent,
      ...extra,
    }) satisfies SecurityFinding;
  const limit = formatRatePerMin(cfg.limit);
  const sending = `${s.sent} requests to ${describeRequest(req)} at ${formatRatePerSec(cfg.probeRate)}`;
  const answered = s.sent - s.errors;
  if (s.cutShort || s.sent < 2 || answered === 0 || s.errors > MAX_ERROR_SHARE * s.sent) {
    const why =
      s.cutShort || s.sent < 2
        ? 'the probe was cut short'
        : `${s.errors} of ${s.sent} got no answer (${s.error ?? 'no error code'})`;
    const out = [
      finding('rate limit', 'error', `${arm}: the rate-limit probe could not judge the ${limit} limit: ${why}`),
    ];
    if (cfg.requireHeaders.length > 0)
      out.push(finding('rate limit headers', 'error', `${arm}: throttled answers not checked: ${why}`));
    return out;
  }
  // What the advertised limit lets through of these very sends (evenly spaced when not known).
  const letThrough =
    s.sendOffsetsSec !== undefined && s.sendOffsetsSec.length === s.sent
      ? Math.min(answered, acceptedAt(cfg.limit, cfg.burst, s.sendOffsetsSec))
      : expectedAccepted(cfg.limit, cfg.burst, answered, s.spanSec);
  const expected = 1 - letThrough / answered;
  const observed = s.throttled / answered;
  const accepted = answered - s.throttled;
  const effective = s.spanSec > 0 ? Math.max(0, (accepted - 1 - cfg.burst) / s.spanSec) : 0;
  const shares = `${pct(observed)} throttled where a ${limit} limit${cfg.burst ? ` with a burst of ${cfg.burst}` : ''} throttles about ${pct(expected)} ± ${pct(cfg.tolerance)}`;
  const numbers = { observed, threshold: expected, unit: 'fraction' as const };
  const out: SecurityFinding[] = [];
  if (s.throttled === 0) {
    out.push(
      finding(
        'rate limit',
        'fail',
        `${arm} let all ${sending} through: no ${cfg.status}s, where a ${limit} limit throttles about ${pct(expected)}`,
        numbers,
      ),
    );
  } else if (observed < expected - cfg.tolerance) {
    out.push(
      finding(
        'rate limit',
        'fail',
        `${arm} let too many through (${sending}): ${shares}; it limits at about ${formatRatePerMin(effective, cfg.limit)}`,
        numbers,
      ),
    );
  } else if (observed > expected + cfg.tolerance) {
    out.push(
      finding(
        'rate limit',
        'fail',
        `${arm} throttles far below its limit (${sending}): ${shares}; it limits at about ${formatRatePerMin(effective, cfg.limit)}`,
        numbers,
      ),
    );
  } else {
    out.push(finding('rate limit', 'pass', `${arm} keeps its limit (${sending}): ${shares}`, numbers));
  }
  if (cfg.requireHeaders.length > 0) out.push(headersFinding(arm, cfg, s, finding));
  return out;
}

function headersFinding(
  arm: string,
  cfg: RateLimitConfig,
  s: RateLimitSample,
  finding: (invariant: string, status: SecurityFinding['status'], sentence: string) => SecurityFinding,
): SecurityFinding {
  const names = cfg.requireHeaders.join(' and ');
  if (s.throttled === 0)
    return finding('rate limit headers', 'inconclusive', `${arm}: no throttled answer to look for ${names} on`);
  const missing = cfg.requireHeaders.filter((h) => (s.withHeader[h] ?? 0) < s.throttled);
  if (missing.length === 0)
    return finding('rate limit headers', 'pass', `${arm}'s ${s.throttled} throttled answers all carry ${names}`);
  return finding(
    'rate limit headers',
    'fail',
    `${arm}'s throttled answers lack ${missing.map((h) => `${h} (${s.throttled - (s.withHeader[h] ?? 0)} of ${s.throttled})`).join(' and ')}`,
  );
}

/** Probe one arm's rate limit: sample, then judge. */
export async function probeRateLimit(
  target: ProbeTarget,
  cfg: RateLimitConfig,
  req: ProbeRequest,
  o: ProbeHttpOptions,
): Promise<SecurityFinding[]> {
  return judgeRateLimit(target.arm, cfg, req, await sampleRateLimit(target, cfg, req, o));
}

/**
 * A rate the way limits are advertised: per minute under 10/s ("120/min"), per second above; with
 * `like`, in the unit that limit is shown in, so a limit and the rate kept read side by side.
 */
export function formatRatePerMin(perSec: number, like = perSec): string {
  const perMin = perSec * 60;
  return like < 10 ? `${Number(perMin.toFixed(perMin >= 10 ? 0 : 1))}/min` : formatRatePerSec(perSec);
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
