/**
 * The TLS probe against a real nginx (Debian's nginx-light) serving certificates from a
 * self-signed CA made with openssl: TLS 1.3 only, TLS 1.2 only, both, an expired certificate, one
 * expiring in days, one for another host name.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecurityInput, SecuritySchema } from '../../../src/scenario/security-schema.js';
import type { SecurityFinding } from '../../../src/security/finding.js';
import { probeTls } from '../../../src/security/tls.js';
import { type SecurityNginx, startSecurityNginx } from '../../helpers/security-nginx.js';
import { closedPort } from '../../helpers/server.js';
import { makeTlsFixtures, type TlsFixtures } from '../../helpers/tls-fixtures.js';

let certs: TlsFixtures;
let nginx: SecurityNginx;
let ca: string;

beforeAll(async () => {
  certs = makeTlsFixtures();
  ca = readFileSync(certs.ca, 'utf8');
  nginx = await startSecurityNginx([
    { name: 'tls13', tls: { ...certs.valid, protocols: ['TLSv1.3'] }, hsts: 'max-age=31536000; includeSubDomains' },
    { name: 'tls12', tls: { ...certs.valid, protocols: ['TLSv1.2'] } },
    { name: 'both', tls: { ...certs.valid, protocols: ['TLSv1.2', 'TLSv1.3'] }, hsts: 'max-age=600' },
    { name: 'expired', tls: { ...certs.expired, protocols: ['TLSv1.3'] } },
    { name: 'soon', tls: { ...certs.expiringSoon, protocols: ['TLSv1.3'] } },
    { name: 'wrong', tls: { ...certs.wrongHost, protocols: ['TLSv1.3'] } },
  ]);
});

afterAll(async () => {
  await nginx?.stop();
  certs?.remove();
});

const request = { name: 'root', method: 'GET', path: '/', headers: {} };

async function probe(
  server: string,
  tls: NonNullable<SecurityInput['tls']>,
  o: { ca?: string | undefined; url?: string } = {},
): Promise<Record<string, SecurityFinding>> {
  const cfg = SecuritySchema.parse({ tls }).tls as NonNullable<ReturnType<typeof SecuritySchema.parse>['tls']>;
  const withCa = 'ca' in o ? o.ca : ca;
  const found = await probeTls({ arm: 'canary', url: o.url ?? (nginx.urls[server] as string) }, cfg, {
    ...(withCa !== undefined ? { ca: withCa, caFile: 'ca.pem' } : {}),
    request,
    timeoutMs: 3000,
  });
  return Object.fromEntries(found.map((f) => [f.invariant, f]));
}

describe('TLS probe', () => {
  it('passes a TLS 1.3 server with a valid chain, a far expiry, the right name and HSTS', async () => {
    const f = await probe('tls13', { minVersion: 'TLSv1.3', hsts: { minMaxAgeDays: 180, includeSubDomains: true } });
    expect(Object.values(f).map((x) => [x.invariant, x.status])).toEqual([
      ['tls version', 'pass'],
      ['tls chain', 'pass'],
      ['tls expiry', 'pass'],
      ['tls hostname', 'pass'],
      ['hsts', 'pass'],
    ]);
    expect(f['tls version']?.sentence).toMatch(
      /^canary at 127\.0\.0\.1:\d+ negotiated TLSv1\.3 and refused TLSv1\.2 \(minimum TLSv1\.3\)$/,
    );
    expect(f['tls chain']?.sentence).toBe("canary's certificate chain verifies against the CA in ca.pem");
    expect(f['tls expiry']?.observed).toBeGreaterThan(360);
  });

  it('fails a TLS 1.2-only server against a TLS 1.3 minimum, critical, naming both versions', async () => {
    const f = await probe('tls12', { minVersion: 'TLSv1.3' });
    expect(f['tls version']).toMatchObject({ status: 'fail', critical: true });
    expect(f['tls version']?.sentence).toMatch(
      /^canary at 127\.0\.0\.1:\d+ negotiated TLSv1\.2; the scenario requires TLSv1\.3 or newer$/,
    );
    expect(f['tls chain']?.status).toBe('pass');
  });

  it('fails a server that negotiates TLS 1.3 but still accepts TLS 1.2', async () => {
    const strict = await probe('both', { minVersion: 'TLSv1.3' });
    expect(strict['tls version']?.status).toBe('fail');
    expect(strict['tls version']?.sentence).toMatch(
      /negotiated TLSv1\.3 but also accepted a TLSv1\.2 handshake; the scenario requires TLSv1\.3 or newer$/,
    );
    const lenient = await probe('both', { minVersion: 'TLSv1.2' });
    expect(lenient['tls version']?.status).toBe('pass');
  });

  it('fails an expired certificate on its chain and its expiry', async () => {
    const f = await probe('expired', {});
    expect(f['tls chain']).toMatchObject({ status: 'fail' });
    expect(f['tls chain']?.sentence).toMatch(/CERT_HAS_EXPIRED$/);
    expect(f['tls expiry']?.status).toBe('fail');
    expect(f['tls expiry']?.sentence).toMatch(
      /^canary's certificate expired \d+ days ago \(2020-02-01\); the scenario requires at least 14 days$/,
    );
    expect(f['tls hostname']?.status).toBe('pass');
  });

  it('fails a certificate expiring sooner than the minimum, and passes it under a lower one', async () => {
    const f = await probe('soon', { minDaysToExpiry: 14 });
    expect(f['tls expiry']).toMatchObject({ status: 'fail', threshold: 14 });
    expect(f['tls expiry']?.observed).toBeGreaterThanOrEqual(4);
    expect(f['tls expiry']?.observed).toBeLessThanOrEqual(5);
    expect((await probe('soon', { minDaysToExpiry: 3 }))['tls expiry']?.status).toBe('pass');
  });

  it('fails a certificate for another name, and passes it when that name is the one asked for (SNI)', async () => {
    const f = await probe('wrong', {});
    expect(f['tls hostname']?.status).toBe('fail');
    expect(f['tls hostname']?.sentence).toBe(
      "canary's certificate is not valid for 127.0.0.1 (it names DNS:wrong.example)",
    );
    expect(f['tls chain']?.status).toBe('pass');
    const named = await probe('wrong', { hostname: 'wrong.example' });
    expect(named['tls hostname']?.status).toBe('pass');
  });

  it("fails a chain that does not reach the given CA or Node's trust store", async () => {
    const system = await probe('tls13', {}, { ca: undefined });
    expect(system['tls chain']?.status).toBe('fail');
    expect(system['tls chain']?.sentence).toMatch(
      /^canary's certificate chain does not verify against Node's trust store: /,
    );
    const other = await probe('tls13', {}, { ca: readFileSync(certs.otherCa, 'utf8') });
    expect(other['tls chain']?.status).toBe('fail');
  });

  it('fails HSTS that is missing or shorter than required', async () => {
    expect((await probe('tls12', { hsts: {} })).hsts?.sentence).toBe(
      "canary's answer to GET / has no valid Strict-Transport-Security header",
    );
    const short = await probe('both', { hsts: { minMaxAgeDays: 1 } });
    expect(short.hsts?.sentence).toBe(
      "canary's answer to GET / has Strict-Transport-Security max-age 600 s, under the 1 days required",
    );
    const noSub = await probe('tls13', { hsts: { minMaxAgeDays: 1 } });
    expect(noSub.hsts?.status).toBe('pass');
  });

  it('is an error, not a failure, when nothing listens', async () => {
    const port = await closedPort();
    const f = await probe('tls13', {}, { url: `https://127.0.0.1:${port}` });
    expect(f['tls version']).toMatchObject({ status: 'error' });
    expect(f['tls version']?.sentence).toBe(`canary at 127.0.0.1:${port} could not be reached (ECONNREFUSED)`);
    expect(['tls chain', 'tls expiry', 'tls hostname'].map((k) => f[k]?.status)).toEqual(['error', 'error', 'error']);
  });
});
