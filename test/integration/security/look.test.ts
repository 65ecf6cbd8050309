/**
 * A whole security look at two arms over https: nginx terminating TLS with a certificate from a
 * self-signed CA (read from the file tls.ca names) in front of the token service, the baseline
 * healthy and the canary on TLS 1.2 with its auth check dropped.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioError } from '../../../src/errors.js';
import { SecuritySchema } from '../../../src/scenario/security-schema.js';
import { loadSecurityMaterial } from '../../../src/security/material.js';
import { probeSecurity } from '../../../src/security/probe.js';
import { type SecurityNginx, startSecurityNginx } from '../../helpers/security-nginx.js';
import { makeTlsFixtures, type TlsFixtures } from '../../helpers/tls-fixtures.js';
import { issueToken, startTokenService, type TokenService } from '../../helpers/token-service.js';

const SECRET = 'look-test-signing-key';
const token = issueToken(SECRET, { sub: 'probe', expiresAtSec: Math.floor(Date.now() / 1000) + 3600 });

let certs: TlsFixtures;
let nginx: SecurityNginx;
let guarded: TokenService;
let open: TokenService;

beforeAll(async () => {
  certs = makeTlsFixtures();
  [guarded, open] = await Promise.all([
    startTokenService({ secret: SECRET }),
    startTokenService({ secret: SECRET, checkAuth: false }),
  ]);
  nginx = await startSecurityNginx([
    {
      name: 'baseline',
      tls: { ...certs.valid, protocols: ['TLSv1.3'] },
      hsts: 'max-age=31536000',
      upstream: `127.0.0.1:${guarded.port}`,
    },
    {
      name: 'canary',
      tls: { ...certs.valid, protocols: ['TLSv1.2'] },
      hsts: 'max-age=31536000',
      upstream: `127.0.0.1:${open.port}`,
    },
  ]);
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all([guarded?.close(), open?.close()]);
  certs?.remove();
});

const SECTION = {
  tls: { minVersion: 'TLSv1.3', hsts: { minMaxAgeDays: 180 }, skipSteps: [2] },
  auth: { refused: [{ name: 'no credentials' }] },
  headers: { present: [{ name: 'x-content-type-options', value: 'nosniff' }] },
} as const;

function look(at: 'preflight' | number) {
  const section = SecuritySchema.parse({ ...SECTION, tls: { ...SECTION.tls, ca: certs.ca } });
  return probeSecurity({
    section,
    targets: [
      { arm: 'baseline', url: nginx.urls.baseline as string },
      { arm: 'canary', url: nginx.urls.canary as string },
    ],
    requests: [{ name: 'items', method: 'GET', path: '/api/items', headers: { authorization: `Bearer ${token}` } }],
    material: loadSecurityMaterial(section, 'scenario.yaml'),
    at,
  });
}

describe('a security look at both arms over https', () => {
  it('finds the TLS 1.2 canary and its dropped auth check, and nothing wrong with the baseline', async () => {
    const findings = await look('preflight');
    const failed = findings.filter((f) => f.status !== 'pass').map((f) => `${f.arm}: ${f.invariant}`);
    expect(failed).toEqual(['canary: tls version', 'canary: auth: no credentials refused']);
    // The https requests of the auth and headers probes trusted the CA of tls.ca.
    expect(findings.filter((f) => f.arm === 'baseline').map((f) => f.status)).toEqual(Array(8).fill('pass'));
    // Each arm in turn, each probe in the section's order (tls, auth, headers), whatever finished first.
    const order = ['tls', 'tls', 'tls', 'tls', 'tls', 'auth', 'auth', 'headers'];
    expect(findings.map((f) => `${f.arm} ${f.probe}`)).toEqual([
      ...order.map((p) => `baseline ${p}`),
      ...order.map((p) => `canary ${p}`),
    ]);
  });

  it('skips the TLS probe at the steps the section names', async () => {
    const findings = await look(2);
    expect(new Set(findings.map((f) => f.probe))).toEqual(new Set(['auth', 'headers']));
  });
});

describe('files the section names', () => {
  it('refuses a CA file that is missing or holds no certificate, naming the field', () => {
    const section = (ca: string) => SecuritySchema.parse({ tls: { ca } });
    const problem = (ca: string): string => {
      try {
        loadSecurityMaterial(section(ca), 'scenario.yaml');
      } catch (error) {
        expect(error).toBeInstanceOf(ScenarioError);
        return (error as ScenarioError).problems.join('\n');
      }
      throw new Error('expected a ScenarioError');
    };
    const missing = join(certs.dir, 'missing.pem');
    expect(problem(missing)).toBe(`scenario.yaml: security.tls.ca: cannot read ${JSON.stringify(missing)} (ENOENT)`);
    const garbage = join(certs.dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    expect(problem(garbage)).toBe(
      `scenario.yaml: security.tls.ca: expected PEM certificates in ${JSON.stringify(garbage)}, found none`,
    );
    expect(loadSecurityMaterial(section(certs.ca), 'scenario.yaml').ca).toContain('BEGIN CERTIFICATE');
  });
});
