/**
 * The auth and headers probes against real services on 127.0.0.1: a token service that verifies
 * signed, expiring bearer tokens (test/helpers/token-service.ts), the same service with its check
 * dropped, and services that refuse with the wrong status or refuse everyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecurityInput, SecuritySchema } from '../../../src/scenario/security-schema.js';
import type { SecurityFinding } from '../../../src/security/finding.js';
import { probeSecurity } from '../../../src/security/probe.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { issueToken, startTokenService, type TokenService } from '../../helpers/token-service.js';

const SECRET = 'signing-key-of-the-test-service';
const now = Math.floor(Date.now() / 1000);
const valid = issueToken(SECRET, { sub: 'probe', expiresAtSec: now + 3600 });
const expired = issueToken(SECRET, { sub: 'probe', expiresAtSec: now - 60 });
const forged = issueToken('another-key', { sub: 'probe', expiresAtSec: now + 3600 });

let healthy: TokenService;
let open: TokenService;
let leaky: TokenService;
let wrongStatus: TestServer;

beforeAll(async () => {
  [healthy, open, leaky, wrongStatus] = await Promise.all([
    startTokenService({ secret: SECRET }),
    startTokenService({ secret: SECRET, checkAuth: false }),
    startTokenService({
      secret: SECRET,
      headers: { 'x-content-type-options': 'nosniff', 'x-powered-by': 'Express 4' },
    }),
    // Refuses a missing token with 500 and accepts anything else: a refusal, but not the one promised.
    startTestServer((req) => ({ status: req.headers.authorization ? 200 : 500 })),
  ]);
});

afterAll(async () => {
  await Promise.all([healthy, open, leaky, wrongStatus].map((s) => s?.close()));
});

const AUTH: NonNullable<SecurityInput['auth']> = {
  refused: [
    { name: 'no credentials' },
    { name: 'a wrong token', value: 'Bearer not-a-token' },
    { name: 'an expired token', value: `Bearer ${expired}` },
  ],
};

async function look(
  canaryUrl: string,
  section: SecurityInput,
  token = valid,
): Promise<{ findings: SecurityFinding[]; byName: Record<string, SecurityFinding> }> {
  const findings = await probeSecurity({
    section: SecuritySchema.parse(section),
    targets: [
      { arm: 'baseline', url: healthy.url },
      { arm: 'canary', url: canaryUrl },
    ],
    requests: [{ name: 'items', method: 'GET', path: '/api/items', headers: { Authorization: `Bearer ${token}` } }],
    material: {},
    at: 'preflight',
  });
  return { findings, byName: Object.fromEntries(findings.map((f) => [`${f.invariant} (${f.arm})`, f])) };
}

describe('auth probe', () => {
  it('passes both arms when refused requests are refused and the normal credentials accepted', async () => {
    const before = healthy.seen.length;
    const { findings } = await look(healthy.url, { auth: AUTH });
    expect(findings.map((f) => `${f.arm} ${f.invariant}: ${f.status}`)).toEqual([
      'baseline auth: no credentials refused: pass',
      'baseline auth: a wrong token refused: pass',
      'baseline auth: an expired token refused: pass',
      'baseline auth: credentials accepted: pass',
      'canary auth: no credentials refused: pass',
      'canary auth: a wrong token refused: pass',
      'canary auth: an expired token refused: pass',
      'canary auth: credentials accepted: pass',
    ]);
    expect(findings[2]?.sentence).toBe('baseline answered GET /api/items with an expired token with 401 (refused)');
    // Four requests per arm, both arms on the same service: each case really reached it.
    const seen = healthy.seen.slice(before).map((r) => r.headers.authorization ?? '(none)');
    expect(seen.sort()).toEqual(
      [
        '(none)',
        '(none)',
        'Bearer not-a-token',
        'Bearer not-a-token',
        `Bearer ${expired}`,
        `Bearer ${expired}`,
        `Bearer ${valid}`,
        `Bearer ${valid}`,
      ].sort(),
    );
  });

  it('fails a canary that dropped its auth check, critical even when the section is not', async () => {
    const { byName } = await look(open.url, { auth: { ...AUTH, critical: false } });
    for (const name of ['no credentials', 'a wrong token', 'an expired token']) {
      expect(byName[`auth: ${name} refused (canary)`]).toMatchObject({ status: 'fail', critical: true });
      expect(byName[`auth: ${name} refused (baseline)`]?.status).toBe('pass');
    }
    expect(byName['auth: no credentials refused (canary)']?.sentence).toBe(
      'canary answered GET /api/items with no credentials with 200: it must be refused with 401 or 403',
    );
  });

  it('fails a refusal with another status than the expected ones, critical as the section says', async () => {
    const lenient = await look(wrongStatus.url, { auth: { critical: false } });
    expect(lenient.byName['auth: no credentials refused (canary)']).toMatchObject({
      status: 'fail',
      critical: false,
      sentence: 'canary answered GET /api/items with no credentials with 500; expected 401 or 403',
    });
    const strict = await look(wrongStatus.url, { auth: { expect: [401] } });
    expect(strict.byName['auth: no credentials refused (canary)']).toMatchObject({ status: 'fail', critical: true });
  });

  it('fails when the normal credentials are refused', async () => {
    const { byName } = await look(healthy.url, { auth: AUTH }, forged);
    expect(byName['auth: credentials accepted (canary)']).toMatchObject({
      status: 'fail',
      sentence: 'canary refused GET /api/items with the normal credentials: 401',
    });
  });

  it('never puts a credential in a sentence', async () => {
    const { findings } = await look(open.url, { auth: AUTH });
    const text = JSON.stringify(findings);
    expect(text).not.toContain(valid);
    expect(text).not.toContain(expired);
    expect(text).not.toContain('not-a-token');
  });
});

describe('headers probe', () => {
  const HEADERS: SecurityInput['headers'] = {
    present: [{ name: 'X-Content-Type-Options', value: 'nosniff' }],
    absent: ['x-powered-by'],
  };

  it('passes an answer with the required headers and none of the forbidden ones', async () => {
    const { findings } = await look(healthy.url, { headers: HEADERS });
    expect(findings.map((f) => f.status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('fails a canary that gives its framework away', async () => {
    const { byName } = await look(leaky.url, { headers: HEADERS });
    expect(byName['header x-powered-by absent (canary)']).toMatchObject({
      status: 'fail',
      critical: false,
      sentence: `canary's answer to GET /api/items has x-powered-by: "Express 4"; it must not`,
    });
    expect(byName['header x-powered-by absent (baseline)']?.status).toBe('pass');
  });
});
