/**
 * `canary-gate run` with a security section, the CLI as a process against real servers: nginx
 * terminating TLS with certificates from a self-signed CA (openssl) and rate limiting with
 * `limit_req`, in front of a service with a real signed-token check. A canary that dropped its
 * auth check, one without its rate limit and one on TLS 1.2 are rolled back before they get any
 * traffic; one that loses its auth check when it takes traffic is rolled back at the first step;
 * the healthy canary is promoted; bad settings are exit 2 with nothing sent.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from '../helpers/cli.js';
import { type SecurityNginx, startSecurityNginx } from '../helpers/security-nginx.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTlsFixtures, type TlsFixtures } from '../helpers/tls-fixtures.js';
import { issueToken, startTokenService, type TokenService } from '../helpers/token-service.js';

const SECRET = 'e2e-signing-key';
const now = Math.floor(Date.now() / 1000);
const API_TOKEN = issueToken(SECRET, { sub: 'canary-gate', expiresAtSec: now + 3600 });
const EXPIRED_TOKEN = issueToken(SECRET, { sub: 'canary-gate', expiresAtSec: now - 600 });

let certs: TlsFixtures;
let nginx: SecurityNginx;
let guarded: TokenService;
let open: TokenService;
let losesCheck: TokenService;
let webhook: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'canary-gate-security-e2e-'));

beforeAll(async () => {
  certs = makeTlsFixtures();
  [guarded, open, losesCheck] = await Promise.all([
    startTokenService({ secret: SECRET }),
    startTokenService({ secret: SECRET, checkAuth: false }),
    startTokenService({ secret: SECRET }),
  ]);
  // The webhook router's weight change is the moment this canary drops its check: any weight above 0.
  webhook = await startTestServer((req) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      if ((JSON.parse(body || '{}') as { weight?: number }).weight) losesCheck.setCheckAuth(false);
    });
    return { delayMs: 20 };
  });
  const limited = { rate: '10r/s', keyHeader: 'x-client-id', retryAfter: true };
  const tls13 = { ...certs.valid, protocols: ['TLSv1.3'] };
  nginx = await startSecurityNginx([
    { name: 'baseline', tls: tls13, rateLimit: limited, upstream: `127.0.0.1:${guarded.port}` },
    { name: 'healthy', tls: tls13, rateLimit: limited, upstream: `127.0.0.1:${guarded.port}` },
    { name: 'noAuth', tls: tls13, rateLimit: limited, upstream: `127.0.0.1:${open.port}` },
    { name: 'noLimit', tls: tls13, upstream: `127.0.0.1:${guarded.port}` },
    {
      name: 'tls12',
      tls: { ...certs.valid, protocols: ['TLSv1.2'] },
      rateLimit: limited,
      upstream: `127.0.0.1:${guarded.port}`,
    },
    { name: 'losesCheck', tls: tls13, rateLimit: limited, upstream: `127.0.0.1:${losesCheck.port}` },
  ]);
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all([guarded, open, losesCheck, webhook].map((s) => s?.close()));
  certs?.remove();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
// A step may run on to 4 s: its only 1 s window, generator-limited beside the machine phase's
// files, was left out and the healthy canary's 100 % step ended on 0 samples (one CI run).
// 32 connections, not 8: in another CI run the canary alone at 100 % answered in 200-300 ms
// through nginx and TLS, and 8 connections carry only ~30/s at that: every second of the step was
// the generator's connection cap (left out, as it must be), and the healthy canary ended
// inconclusive. 32 carry 100/s up to ~300 ms.
function scenario(canary: string, o: { security?: string; router?: string; baseline?: string } = {}): string {
  const file = join(dir, `scenario-${n++}.yaml`);
  writeFileSync(
    file,
    `name: security e2e
targets:
  baseline: { url: "${nginx.urls[o.baseline ?? 'baseline']}", health: [/health] }
  canary: { url: "${nginx.urls[canary]}", health: [/health] }
traffic: { rate: 100/s, connections: 32, warmup: 0s, stepDuration: 1s, maxStepDuration: 4s, timeout: 2s }
requests:
  - { name: items, path: /api/items, headers: { authorization: "Bearer \${env:API_TOKEN}" } }
steps: [50, 100]
router: ${o.router ?? '{ type: split }'}
gates:
  checks:
    - { metric: errorRate, max: 20%, critical: true }
  statistics: { minSamples: 20 }
security:
${
  o.security ??
  `  tls: { minVersion: TLSv1.3, ca: "${certs.ca}" }
  auth:
    refused:
      - { name: no credentials }
      - { name: an expired token, value: "Bearer \${env:EXPIRED_TOKEN}" }
  rateLimit:
    limit: 10/s
    probeRate: 30/s
    duration: 1s
    identity: { header: x-client-id }
    requireHeaders: [retry-after]
    skipSteps: [2]
  headers:
    present: [{ name: x-content-type-options, value: nosniff }]
    absent: [{ name: server, matching: "\\\\d" }]`
}
outputs: { dir: "${join(dir, 'out')}", formats: [json, markdown, junit, html] }
`,
  );
  return file;
}

const ENV = { API_TOKEN, EXPIRED_TOKEN, NODE_EXTRA_CA_CERTS: '' };
const run = (file: string): Promise<CliRun> =>
  runCli(['run', file, '--json'], { ...ENV, NODE_EXTRA_CA_CERTS: certs.ca });

interface Check {
  name: string;
  group: string;
  status: string;
  critical: boolean;
  reason: string;
}
interface Result {
  decision: string;
  reason: string;
  run: string;
  preflightSecurity?: { decision: string; checks: Check[] };
  steps: { index: number; verdict: { decision: string; reason: string; checks: Check[] } }[];
}

const runFolder = (r: Result) => join(dir, 'out', r.run);

describe('run with a security section', () => {
  it('promotes the healthy canary: every finding a check on both arms, and no credential anywhere', async () => {
    const cli = await run(scenario('healthy'));
    expect(cli.code, cli.stderr).toBe(0);
    const r = JSON.parse(cli.stdout) as Result;
    expect(r.decision).toBe('promote');
    const pre = r.preflightSecurity?.checks ?? [];
    expect(pre.filter((c) => c.status !== 'pass').map((c) => c.reason)).toEqual([]);
    expect(pre.map((c) => c.name)).toContain('rate limit (canary)');
    expect(pre.map((c) => c.name)).toContain('rate limit (baseline)');
    const step1 = r.steps[0]?.verdict.checks ?? [];
    expect(step1.filter((c) => c.group === 'security').map((c) => c.name)).toEqual([
      'tls version (canary)',
      'tls chain (canary)',
      'tls expiry (canary)',
      'tls hostname (canary)',
      'auth: no credentials refused (canary)',
      'auth: an expired token refused (canary)',
      'auth: credentials accepted (canary)',
      'rate limit (canary)',
      'rate limit headers (canary)',
      'header x-content-type-options present (canary)',
      'header server absent (canary)',
    ]);
    expect(step1.filter((c) => c.group === 'security (baseline)')).toHaveLength(11);
    // Step 2 skips the rate-limit probe.
    const step2 = (r.steps[1]?.verdict.checks ?? []).map((c) => c.name);
    expect(step2).toContain('auth: credentials accepted (canary)');
    expect(step2).not.toContain('rate limit (canary)');
    const folder = runFolder(r);
    const markdown = readFileSync(join(folder, 'summary.md'), 'utf8');
    // The matrix is the last step's, which skips the rate-limit probe (2 of 11 checks).
    expect(markdown).toMatch(/\| security \| 1 \| 9\/9 \|/);
    expect(markdown).toContain('Pre-flight security');
    expect(readFileSync(join(folder, 'junit.xml'), 'utf8')).toContain('name="rate limit (canary) in pre-flight"');
    expect(readFileSync(join(folder, 'report.html'), 'utf8')).toContain('rate limit (canary)');
    for (const text of [
      cli.stdout,
      cli.stderr,
      markdown,
      ...['result.json', 'junit.xml', 'report.html', 'journal.jsonl'].map((f) => readFileSync(join(folder, f), 'utf8')),
    ]) {
      expect(text).not.toContain(API_TOKEN);
      expect(text).not.toContain(EXPIRED_TOKEN);
    }
  });

  it.each([
    [
      'noAuth',
      'auth: no credentials refused (canary)',
      /canary answered GET \/api\/items with no credentials with 200: it must be refused with 401 or 403/,
    ],
    ['noLimit', 'rate limit (canary)', /canary let all 30 requests to GET \/api\/items at 30\/s through: no 429s/],
    [
      'tls12',
      'tls version (canary)',
      /canary at 127\.0\.0\.1:\d+ negotiated TLSv1\.2; the scenario requires TLSv1\.3 or newer/,
    ],
  ])('rolls back the %s canary before it gets any traffic, naming %s', async (canary, invariant, sentence) => {
    const cli = await run(scenario(canary));
    expect(cli.code, cli.stderr).toBe(1);
    const r = JSON.parse(cli.stdout) as Result;
    expect(r.decision).toBe('rollback');
    expect(r.reason).toContain(`pre-flight: critical check ${invariant} failed: `);
    expect(r.reason).toMatch(sentence);
    expect(r.reason).toMatch(/no weight was changed$/);
    expect(r.steps).toEqual([]);
    expect(r.preflightSecurity?.decision).toBe('rollback');
    const journal = readFileSync(join(runFolder(r), 'journal.jsonl'), 'utf8');
    expect(journal).not.toContain('"event":"weight"');
    expect(readFileSync(join(runFolder(r), 'summary.md'), 'utf8')).toContain(invariant);
  });

  it('aborts with exit 3 when the baseline itself breaks a critical invariant in pre-flight', async () => {
    const cli = await run(scenario('healthy', { baseline: 'noAuth' }));
    expect(cli.code, cli.stderr).toBe(3);
    const r = JSON.parse(cli.stdout) as Result;
    expect(r.decision).toBe('aborted');
    expect(r.reason).toMatch(
      /^pre-flight: the baseline breaks auth: no credentials refused: baseline answered GET \/api\/items with no credentials with 200: .*do not hold in production; no weight was changed$/,
    );
    expect(r.preflightSecurity?.decision).toBe('aborted');
    expect(r.steps).toEqual([]);
  });

  it('rolls back at the first step a canary that loses its auth check once it takes traffic', async () => {
    losesCheck.setCheckAuth(true);
    const cli = await run(scenario('losesCheck', { router: `{ type: webhook, url: "${webhook.url}/weight" }` }));
    expect(cli.code, cli.stderr).toBe(1);
    const r = JSON.parse(cli.stdout) as Result;
    expect(r.preflightSecurity?.decision).toBe('continue');
    expect(r.steps).toHaveLength(1);
    expect(r.reason).toMatch(
      /^step 1 \(50%\): critical check auth: no credentials refused \(canary\) failed: canary answered GET \/api\/items with no credentials with 200/,
    );
    // The router was set to 50 %, then reset to 0 %.
    const weights = webhook.seen.filter((s) => s.method === 'POST').length;
    expect(weights).toBe(2);
  });

  it.each([
    [
      'a limit with no unit',
      '  rateLimit: { limit: 120 }',
      /security\.rateLimit\.limit: expected a rate with its unit like "120\/min"/,
    ],
    [
      'a TLS version that does not exist',
      '  tls: { minVersion: TLSv1.4 }',
      /security\.tls\.minVersion: expected one of "TLSv1", "TLSv1\.1", "TLSv1\.2", "TLSv1\.3", found "TLSv1\.4"/,
    ],
    [
      'a CA file that is not there',
      `  tls: { ca: "${join(dir, 'missing-ca.pem')}" }`,
      /security\.tls\.ca: cannot read .*missing-ca\.pem.* \(ENOENT\)/,
    ],
    [
      'tls on a plain-http target',
      '  tls: {}',
      /security\.tls: expected https targets for tls: targets\.baseline\.url is plain http/,
    ],
  ])('refuses %s with exit 2, naming the field, with nothing sent', async (_what, security, message) => {
    const seen = () => [guarded, open, losesCheck, webhook].map((s) => s.seen.length);
    const runs = () => (existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')).length : 0);
    const before = seen();
    const runsBefore = runs();
    const file = scenario('healthy', { security });
    if (security === '  tls: {}') writeFileSync(file, readFileSync(file, 'utf8').replaceAll('https://', 'http://'));
    const cli = await run(file);
    expect(cli.code, cli.stderr).toBe(2);
    expect(cli.stderr).toMatch(message);
    expect(cli.stderr).toContain('nothing was sent');
    expect(seen()).toEqual(before);
    expect(runs()).toBe(runsBefore);
  });
});

describe('demo --security', () => {
  it('rolls back the demo canary that dropped its token check in pre-flight, naming the invariant', async () => {
    const cli = await runCli(['demo', '--security', '--json', '--quiet', '--out', join(dir, 'demo')]);
    expect(cli.code, cli.stderr).toBe(1);
    const r = JSON.parse(cli.stdout) as Result;
    expect(r.reason).toMatch(
      /^pre-flight: critical check auth: no credentials refused \(canary\) failed: canary answered GET \/api\/items with no credentials with 200/,
    );
    expect(r.steps).toEqual([]);
    // The baseline keeps its check and its limit: its findings pass.
    const baseline = (r.preflightSecurity?.checks ?? []).filter((c) => c.group === 'security (baseline)');
    expect(baseline.map((c) => [c.name, c.status])).toEqual([
      ['auth: no credentials refused (baseline)', 'pass'],
      ['auth: a wrong token refused (baseline)', 'pass'],
      ['auth: credentials accepted (baseline)', 'pass'],
      ['rate limit (baseline)', 'pass'],
      ['rate limit headers (baseline)', 'pass'],
    ]);
  });
});
