import { describe, expect, it } from 'vitest';
import { SecuritySchema } from '../../../src/scenario/security-schema.js';
import { blockingFindings, findingCheck, type SecurityFinding } from '../../../src/security/finding.js';
import { securityChecks, securityLook, securityStop, stoppedVerdict } from '../../../src/security/gate.js';
import { judgeHeaders } from '../../../src/security/headers.js';
import { dueProbes } from '../../../src/security/probe.js';
import { formatRatePerMin, judgeRateLimit, type RateLimitSample } from '../../../src/security/rate-limit.js';
import { atLeast, daysToExpiry, parseHsts, versionBelow } from '../../../src/security/tls.js';

const req = { name: 'items', method: 'GET', path: '/api/items', headers: {} };

const rateLimit = (extra: Record<string, unknown> = {}) => {
  const s = SecuritySchema.parse({ rateLimit: { limit: '120/min', probeRate: '6/s', duration: '10s', ...extra } });
  return s.rateLimit as NonNullable<typeof s.rateLimit>;
};

/** A sample of 60 sends over 9.83 s: a working 120/min limit lets about 20.7 through (66% throttled). */
const sample = (throttled: number, extra: Partial<RateLimitSample> = {}): RateLimitSample => ({
  sent: 60,
  throttled,
  errors: 0,
  spanSec: 59 / 6,
  withHeader: {},
  ...extra,
});

describe('rate-limit judgement', () => {
  it.each([
    [
      40,
      'pass',
      /^canary keeps its limit \(60 requests to GET \/api\/items at 6\/s\): 67% throttled where a 120\/min limit throttles about 66% ± 15%$/,
    ],
    [
      0,
      'fail',
      /^canary let all 60 requests to GET \/api\/items at 6\/s through: no 429s, where a 120\/min limit throttles about 66%/,
    ],
    [20, 'fail', /^canary let too many through .*: 33% throttled .*; it limits at about 238\/min$/],
    [55, 'fail', /^canary throttles far below its limit .*: 92% throttled .*; it limits at about 24\/min$/],
  ])('%i of 60 throttled is %s', (throttled, status, sentence) => {
    const [f] = judgeRateLimit('canary', rateLimit(), req, sample(throttled));
    expect(f?.status).toBe(status);
    expect(f?.sentence).toMatch(sentence);
    expect(f).toMatchObject({ invariant: 'rate limit', critical: true, requests: 60, unit: 'fraction' });
    expect(f?.observed).toBeCloseTo(throttled / 60, 6);
  });

  it('judges a limiter by what it should let through of the actual sends, not of evenly spaced ones', () => {
    // 60 sends at 6/s, the first 40 held back by a busy machine and sent together at 6.5 s: a
    // 2/s limiter lets 1 of those through, then every third of the 20 that follow (6): 7 in all,
    // 53 throttled (88 %).
    const offsets = Array.from({ length: 60 }, (_, i) => (i < 40 ? 6.5 : i / 6));
    const [held] = judgeRateLimit('canary', rateLimit(), req, sample(53, { sendOffsetsSec: offsets }));
    expect(held?.status, held?.sentence).toBe('pass');
    expect(held?.sentence).toMatch(/88% throttled where a 120\/min limit throttles about 88% ± 15%$/);
    // Judged as if sent evenly (66 % expected), the same answers read as a limiter far below its limit.
    const [even] = judgeRateLimit('canary', rateLimit(), req, sample(53));
    expect(even?.status).toBe('fail');
  });

  it('says nothing it cannot know when too many probe requests got no answer', () => {
    const found = judgeRateLimit(
      'baseline',
      rateLimit({ requireHeaders: ['retry-after'] }),
      req,
      sample(30, { errors: 10, error: 'ECONNRESET' }),
    );
    expect(found.map((f) => f.status)).toEqual(['error', 'error']);
    expect(found[0]?.sentence).toBe(
      'baseline: the rate-limit probe could not judge the 120/min limit: 10 of 60 got no answer (ECONNRESET)',
    );
  });

  it('requires the headers on every throttled answer, and is inconclusive with none to look at', () => {
    const cfg = rateLimit({ requireHeaders: ['retry-after', 'ratelimit'] });
    const all = judgeRateLimit('canary', cfg, req, sample(40, { withHeader: { 'retry-after': 40, ratelimit: 40 } }));
    expect(all[1]).toMatchObject({ invariant: 'rate limit headers', status: 'pass' });
    const some = judgeRateLimit('canary', cfg, req, sample(40, { withHeader: { 'retry-after': 40, ratelimit: 10 } }));
    expect(some[1]).toMatchObject({ status: 'fail', sentence: "canary's throttled answers lack ratelimit (30 of 40)" });
    const none = judgeRateLimit('canary', cfg, req, sample(0));
    expect(none[1]).toMatchObject({ status: 'inconclusive' });
  });

  it('formats limits the way they are advertised', () => {
    expect(formatRatePerMin(2)).toBe('120/min');
    expect(formatRatePerMin(0.05)).toBe('3/min');
    expect(formatRatePerMin(0.01)).toBe('0.6/min');
    expect(formatRatePerMin(50)).toBe('50/s');
  });
});

describe('header judgement', () => {
  const cfg = SecuritySchema.parse({
    headers: {
      present: [
        { name: 'x-content-type-options', value: 'nosniff' },
        { name: 'cache-control', matching: 'no-store' },
      ],
      absent: ['x-powered-by', { name: 'server', matching: '\\d' }],
    },
  }).headers as NonNullable<ReturnType<typeof SecuritySchema.parse>['headers']>;

  it('passes an answer that keeps every rule', () => {
    const found = judgeHeaders('canary', cfg, req, {
      status: 200,
      headers: { 'x-content-type-options': 'nosniff', 'cache-control': 'private, no-store', server: 'nginx' },
    });
    expect(found.map((f) => [f.invariant, f.status])).toEqual([
      ['header x-content-type-options present', 'pass'],
      ['header cache-control present', 'pass'],
      ['header x-powered-by absent', 'pass'],
      ['header server absent', 'pass'],
    ]);
  });

  it('names the header, its value and the rule it breaks', () => {
    const found = judgeHeaders('canary', cfg, req, {
      status: 200,
      headers: { 'x-content-type-options': 'sniff', 'x-powered-by': 'Express', server: 'nginx/1.22.1' },
    });
    expect(found.map((f) => f.sentence)).toEqual([
      `canary's answer to GET /api/items has x-content-type-options: "sniff", expected "nosniff"`,
      "canary's answer to GET /api/items has no cache-control header",
      `canary's answer to GET /api/items has x-powered-by: "Express"; it must not`,
      `canary's answer to GET /api/items has server: "nginx/1.22.1", matching /\\d/; it must not`,
    ]);
    expect(found.every((f) => f.status === 'fail' && !f.critical)).toBe(true);
  });

  it('is an error for every rule when nothing answered', () => {
    const found = judgeHeaders('canary', cfg, req, { error: 'ECONNREFUSED' });
    expect(found.map((f) => f.status)).toEqual(['error', 'error', 'error', 'error']);
  });
});

describe('TLS helpers', () => {
  it('orders versions and finds the one below', () => {
    expect(atLeast('TLSv1.3', 'TLSv1.2')).toBe(true);
    expect(atLeast('TLSv1.2', 'TLSv1.3')).toBe(false);
    expect(atLeast('unknown', 'TLSv1')).toBe(false);
    expect(versionBelow('TLSv1.3')).toBe('TLSv1.2');
    expect(versionBelow('TLSv1')).toBeUndefined();
  });

  it('counts whole days to expiry, negative once expired', () => {
    const now = new Date('2026-01-10T12:00:00Z');
    expect(daysToExpiry('Jan 20 12:00:00 2026 GMT', now)).toBe(10);
    expect(daysToExpiry('Jan  9 12:00:00 2026 GMT', now)).toBe(-1);
  });

  it('reads HSTS max-age and includeSubDomains', () => {
    expect(parseHsts('max-age=31536000; includeSubDomains; preload')).toEqual({
      maxAgeSec: 31_536_000,
      includeSubDomains: true,
    });
    expect(parseHsts('max-age="600"')).toEqual({ maxAgeSec: 600, includeSubDomains: false });
    expect(parseHsts('includeSubDomains')).toBeUndefined();
  });
});

describe('findings as checks', () => {
  const finding: SecurityFinding = {
    probe: 'auth',
    invariant: 'auth: no credentials refused',
    arm: 'canary',
    status: 'fail',
    sentence: 'canary answered GET /api/items with no credentials with 200: it must be refused with 401 or 403',
    critical: true,
    requests: 1,
  };

  it('become checks of group security named after the invariant and the arm', () => {
    expect(findingCheck(finding)).toEqual({
      name: 'auth: no credentials refused (canary)',
      group: 'security',
      status: 'fail',
      observed: null,
      interval: null,
      threshold: null,
      unit: 'value',
      samples: { canary: 1 },
      critical: true,
      reason: finding.sentence,
    });
  });

  it('block a rollout when critical and failed or errored', () => {
    const list = [
      finding,
      { ...finding, status: 'error' as const },
      { ...finding, critical: false },
      { ...finding, status: 'pass' as const },
    ];
    expect(blockingFindings(list)).toEqual([list[0], list[1]]);
  });

  it('are due at pre-flight always and at steps unless skipped', () => {
    const s = SecuritySchema.parse({
      tls: {},
      auth: { skipSteps: [2] },
      rateLimit: { limit: '10/s', skipSteps: [1, 2, 3] },
    });
    expect(dueProbes(s, 'preflight')).toEqual(['tls', 'auth', 'rateLimit']);
    expect(dueProbes(s, 1)).toEqual(['tls', 'auth']);
    expect(dueProbes(s, 2)).toEqual(['tls']);
    expect(dueProbes(s, 4)).toEqual(['tls', 'auth', 'rateLimit']);
  });
});

describe('findings in a rollout', () => {
  const f = (arm: string, status: SecurityFinding['status'], critical = true): SecurityFinding => ({
    probe: 'rateLimit',
    invariant: 'rate limit',
    arm,
    status,
    sentence: `${arm} let all 30 requests through`,
    critical,
    requests: 30,
  });

  it("weighs the canary's findings and only reports the baseline's", () => {
    const { judged, reported } = securityChecks([f('baseline', 'fail'), f('canary', 'pass')]);
    expect(judged.map((c) => [c.name, c.group, c.critical])).toEqual([['rate limit (canary)', 'security', true]]);
    expect(reported.map((c) => [c.name, c.group, c.critical])).toEqual([
      ['rate limit (baseline)', 'security (baseline)', false],
    ]);
  });

  it('stops on a blocking canary finding first, then on a blocking baseline finding', () => {
    expect(securityStop([f('baseline', 'fail'), f('canary', 'fail')])).toEqual({
      arm: 'canary',
      reason: 'critical check rate limit (canary) failed: canary let all 30 requests through',
    });
    expect(securityStop([f('baseline', 'error'), f('canary', 'pass')])?.arm).toBe('baseline');
    expect(securityStop([f('canary', 'fail', false), f('canary', 'inconclusive')])).toBeUndefined();
  });

  it("makes a stopped step's verdict: a rollback with the finding's sentence, scored on the canary's findings", () => {
    const look = securityLook([f('baseline', 'pass'), f('canary', 'fail')]);
    expect(look.stop?.arm).toBe('canary');
    const v = stoppedVerdict(look, { weights: {}, passScore: 7 });
    expect(v.decision).toBe('rollback');
    expect(v.reason).toBe('critical check rate limit (canary) failed: canary let all 30 requests through');
    expect(v.checks.map((c) => c.group)).toEqual(['security', 'security (baseline)']);
    expect(v.score.groups.map((g) => [g.group, g.failed])).toEqual([['security', 1]]);
    expect(v.score.go).toBe(false);
    expect(securityLook([f('canary', 'pass')]).stop).toBeUndefined();
  });
});
