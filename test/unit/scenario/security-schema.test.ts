import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../../src/errors.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import {
  acceptedAt,
  expectedAccepted,
  expectedThrottledShare,
  probePlan,
  type SecurityConfig,
  type SecurityContext,
  SecuritySchema,
  securityProblems,
} from '../../../src/scenario/security-schema.js';

/** Every problem zod reports, as "path: message". */
function problems(input: unknown): string[] {
  const r = SecuritySchema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const parse = (input: unknown): SecurityConfig => SecuritySchema.parse(input);

describe('security section schema', () => {
  it('applies the defaults of every probe', () => {
    const s = parse({ tls: {}, auth: {}, rateLimit: { limit: '120/min' }, headers: { absent: ['x-powered-by'] } });
    expect(s.timeout).toBe(5000);
    expect(s.tls).toEqual({ minVersion: 'TLSv1.2', minDaysToExpiry: 14, critical: true, skipSteps: [] });
    expect(s.auth).toEqual({
      header: 'authorization',
      refused: [{ name: 'no credentials' }],
      expect: [401, 403],
      critical: true,
      skipSteps: [],
    });
    expect(s.rateLimit).toMatchObject({
      limit: 2,
      burst: 0,
      probeRate: 6,
      duration: 10_000,
      maxRequests: 1000,
      tolerance: 0.15,
      status: 429,
      requireHeaders: [],
      critical: true,
    });
    expect(s.headers).toEqual({ present: [], absent: [{ name: 'x-powered-by' }], critical: false, skipSteps: [] });
  });

  it('refuses a limit with no unit, naming the field and the ambiguity', () => {
    expect(problems({ rateLimit: { limit: 120 } })).toEqual([
      'rateLimit.limit: expected a rate with its unit like "120/min" or "10/s" (a limit with no unit is ambiguous), found 120',
    ]);
    expect(problems({ rateLimit: { limit: '120' } })).toEqual([
      'rateLimit.limit: expected a rate with its unit like "120/min" or "10/s" (a limit with no unit is ambiguous), found "120"',
    ]);
    expect(problems({ rateLimit: { limit: '120/fortnight' } })[0]).toMatch(
      /^rateLimit\.limit: expected a positive rate/,
    );
  });

  it('refuses a TLS version that does not exist', () => {
    expect(problems({ tls: { minVersion: 'TLSv1.4' } })).toEqual([
      'tls.minVersion: Invalid option: expected one of "TLSv1"|"TLSv1.1"|"TLSv1.2"|"TLSv1.3"',
    ]);
  });

  it.each([
    [{ timeout: '2m' }, 'timeout: expected a duration from 10ms to 1m, found "2m"'],
    [
      { rateLimit: { limit: '10/s', duration: '10m' } },
      'rateLimit.duration: expected a duration from 100ms to 5m, found "10m"',
    ],
    [
      { rateLimit: { limit: '10/s', maxRequests: 20_000 } },
      'rateLimit.maxRequests: Too big: expected number to be <=10000',
    ],
    [
      { rateLimit: { limit: '10/s', probeRate: '2000/s' } },
      'rateLimit.probeRate: expected at most 1000/s, found 2000/s',
    ],
    [
      { rateLimit: { limit: '10/s', probeRate: '5/s' } },
      'rateLimit.probeRate: expected a probe rate above the limit (10/s), found 5/s',
    ],
    [
      { rateLimit: { limit: '1000/s' } },
      'rateLimit.limit: expected a limit below 1000/s so the probe can send above it, found 1000/s',
    ],
    [
      { rateLimit: { limit: '10/s', tolerance: '150%' } },
      'rateLimit.tolerance: expected a percentage from 0% to 100% like "1%" or 25, found "150%"',
    ],
    [{ rateLimit: { limit: '10/s', status: 200 } }, 'rateLimit.status: Too small: expected number to be >=400'],
    [{ tls: { minDaysToExpiry: -1 } }, 'tls.minDaysToExpiry: Too small: expected number to be >=0'],
    [{ tls: { hostname: 'not a host' } }, 'tls.hostname: expected a DNS name like "api.example.com"'],
    [{ auth: { expect: [200] } }, 'auth.expect.0: Too small: expected number to be >=400'],
    [{ auth: { header: 'bad header' } }, 'auth.header: expected an HTTP header name like "x-api-key"'],
    [{ auth: { refused: [] } }, 'auth.refused: expected at least one request that must be refused'],
    [
      { headers: { absent: [{ name: 'server', matching: '(' }] } },
      'headers.absent.0.matching: expected a regular expression',
    ],
    [{ headers: {} }, 'headers: expected at least one rule in present or absent'],
    [{ tls: { skipSteps: [0] } }, 'tls.skipSteps.0: Too small: expected number to be >=1'],
    [{}, ': expected at least one of tls, auth, rateLimit, headers'],
  ])('refuses %j: %s', (input, expected) => {
    const found = problems(input);
    expect(
      found.some((p) => p.startsWith(expected)),
      found.join('\n'),
    ).toBe(true);
  });

  it('refuses repeated names of refused requests', () => {
    expect(problems({ auth: { refused: [{ name: 'x' }, { name: 'x', value: 'y' }] } })).toEqual([
      'auth.refused.1.name: expected unique names, "x" repeats',
    ]);
  });

  it('refuses a probe that could not tell a missing limit from a working one', () => {
    // 100 requests at 30/s against a burst of 100: a working limiter throttles none of them.
    const found = problems({ rateLimit: { limit: '10/s', burst: 100, duration: '3s', maxRequests: 100 } });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^rateLimit: the probe cannot tell a missing limit from a working one: .* raise probeRate/,
    );
  });

  it('lower-cases header names and resolves shorthand header rules', () => {
    const s = parse({
      headers: {
        present: ['X-Content-Type-Options', { name: 'Cache-Control', value: 'no-store' }],
        absent: ['Server'],
      },
    });
    expect(s.headers?.present).toEqual([
      { name: 'x-content-type-options' },
      { name: 'cache-control', value: 'no-store' },
    ]);
    expect(s.headers?.absent).toEqual([{ name: 'server' }]);
  });
});

describe('rate-limit model', () => {
  it('counts what a bucket of burst + 1 refilled at the limit lets through', () => {
    // nginx limit_req 10r/s without burst, probed at 30/s for 3 s: 90 sends over 2.97 s.
    expect(probePlan({ probeRate: 30, duration: 3000, maxRequests: 1000 })).toEqual({ requests: 90, spanSec: 89 / 30 });
    expect(expectedAccepted(10, 0, 90, 89 / 30)).toBeCloseTo(30.67, 2);
    expect(
      expectedThrottledShare({ limit: 10, burst: 0, probeRate: 30, duration: 3000, maxRequests: 1000 }),
    ).toBeCloseTo(0.659, 3);
    // A fixed window of 120 per minute is a burst of 120: probed 10 s at 30/s it throttles 300 - 120 - 21.
    expect(expectedAccepted(2, 120, 300, 299 / 30)).toBeCloseTo(140.93, 2);
  });

  it('runs the same bucket over the actual sends: even ones as the formula, held-back ones fewer', () => {
    const even = Array.from({ length: 90 }, (_, i) => i / 30);
    expect(acceptedAt(10, 0, even)).toBe(30);
    expect(Math.abs(acceptedAt(10, 0, even) - expectedAccepted(10, 0, 90, 89 / 30))).toBeLessThan(1);
    // The same 90 sends, the first 60 held back to 2 s by a busy machine and sent together: one of
    // them gets through, then every third of the 30 that follow (9).
    const held = even.map((t, i) => (i < 60 ? 2 : t));
    expect(acceptedAt(10, 0, held)).toBe(1 + 9);
    // A burst of 10 lets 11 of the held-back ones through.
    expect(acceptedAt(10, 10, held)).toBe(11 + 9);
    expect(acceptedAt(10, 0, [])).toBe(0);
  });

  it('caps the count at maxRequests and never exceeds what was sent', () => {
    expect(probePlan({ probeRate: 100, duration: 60_000, maxRequests: 500 }).requests).toBe(500);
    expect(expectedAccepted(10, 1000, 50, 1)).toBe(50);
  });
});

describe('security section against the scenario', () => {
  const scenario: SecurityContext = {
    targets: { baseline: { url: 'http://127.0.0.1:1' }, canary: { url: 'https://127.0.0.1:2' } },
    requests: [
      { name: 'items', method: 'GET', path: '/api/items', headers: { Authorization: 'Bearer x' } },
      { method: 'GET', path: '/health', headers: {} },
    ],
    steps: [10, 50, 100],
  };

  it('accepts a section that fits the scenario', () => {
    const s = parse({ auth: { request: 'items' }, headers: { request: 'GET /health', absent: ['server'] } });
    expect(securityProblems(s, scenario)).toEqual([]);
  });

  it('names tls with a plain-http target, unknown requests, steps past the last, and credentials not carried', () => {
    const s = parse({
      tls: { skipSteps: [2, 4] },
      auth: { request: 'GET /health' },
      rateLimit: { limit: '10/s', request: 'checkout' },
    });
    expect(securityProblems(s, scenario)).toEqual([
      { path: ['security', 'tls'], message: 'expected https targets for tls: targets.baseline.url is plain http' },
      {
        path: ['security', 'rateLimit', 'request'],
        message: 'expected the name of a request of the mix ("items", "GET /health"), found "checkout"',
      },
      { path: ['security', 'tls', 'skipSteps', 1], message: 'expected a step number from 1 to 3, found 4' },
      {
        path: ['security', 'auth', 'header'],
        message:
          'expected the probed request ("GET /health") to carry the normal credentials in authorization; it has no such header',
      },
    ]);
  });
});

describe('the security section in the scenario union', () => {
  const load = (text: string) => loadScenario(text, { file: 'scenario.yaml', env: { API_TOKEN: 'secret-token-4e1f' } });
  const problemsOf = (text: string): readonly string[] => {
    try {
      load(text);
      return [];
    } catch (error) {
      if (error instanceof ScenarioError) return error.problems;
      throw error;
    }
  };
  const staged = (mode: string) => `name: s
mode: ${mode}
targets:
  baseline: { url: "https://127.0.0.1:8443" }
  canary: { url: "https://127.0.0.1:8444" }
requests:
  - { name: items, path: /items, headers: { authorization: "Bearer \${env:API_TOKEN}" } }
steps: [50, 100]
${mode === 'regression' ? 'baseline: { file: base.json }\n' : ''}security:
  tls: { minVersion: TLSv1.3 }
  auth: { request: items }
  rateLimit: { limit: 120/min, skipSteps: [2] }
`;

  it.each(['canary', 'regression'])('is honoured by mode %s, with its defaults applied', (mode) => {
    const { scenario } = load(staged(mode));
    expect(scenario.mode).toBe(mode);
    const security = 'security' in scenario ? scenario.security : undefined;
    expect(security?.rateLimit).toMatchObject({ limit: 2, probeRate: 6, skipSteps: [2] });
    expect(security?.auth?.header).toBe('authorization');
  });

  it('is a problem naming the field in the modes that cannot honour it', () => {
    const capacity = `name: c
mode: capacity
targets: { canary: { url: "http://127.0.0.1:8080" } }
requests: [{ path: / }]
capacity: { slo: "p99<50ms" }
security: { headers: { absent: [server] } }
`;
    expect(problemsOf(capacity)).toEqual([
      expect.stringMatching(/^scenario\.yaml:6:1: security: the capacity search probes no security invariants/),
    ]);
    const regress = `name: r
mode: regress
regress:
  baseline: { command: [node, a.js] }
  candidate: { command: [node, b.js] }
security: { headers: { absent: [server] } }
`;
    expect(problemsOf(regress).filter((p) => p.includes('security'))).toEqual([
      expect.stringMatching(/security: regress probes no security invariants/),
    ]);
  });

  it('checks the section against the rest of the scenario: tls on plain http, a step past the last', () => {
    const text = staged('canary').replaceAll('https:', 'http:').replace('skipSteps: [2]', 'skipSteps: [3]');
    expect(problemsOf(text)).toEqual([
      'scenario.yaml:10:8: security.tls: expected https targets for tls: targets.baseline.url is plain http',
      'scenario.yaml:10:8: security.tls: expected https targets for tls: targets.canary.url is plain http',
      'scenario.yaml:12:44: security.rateLimit.skipSteps[0]: expected a step number from 1 to 2, found 3',
    ]);
  });
});
