/**
 * The TLS probe: one handshake per arm as an ordinary client would make it (the protocol it
 * negotiates, the chain against the given CA or Node's trust store, days to expiry, the hostname),
 * a second handshake offering only the version below the minimum (which must be refused), and
 * optionally the Strict-Transport-Security header of an https request.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate, type SecureVersion } from 'node:tls';
import type { SecurityConfig } from '../scenario/security-schema.js';
import { TLS_VERSIONS, type TlsVersion } from '../scenario/security-schema.js';
import type { SecurityFinding } from './finding.js';
import { describeRequest, headerText, type ProbeRequest, type ProbeTarget, probeAgent, sendProbe } from './http.js';

type TlsConfig = NonNullable<SecurityConfig['tls']>;

/** What one handshake showed. */
export type Handshake =
  | {
      protocol: string;
      authorized: boolean;
      authorizationError?: string;
      cert: PeerCertificate | undefined;
    }
  | { error: string; refused: boolean };

const DAY_MS = 86_400_000;

/**
 * One handshake with `host:port`. The client offers every version in [min, max] at OpenSSL's
 * lowest security level, so what is negotiated is the server's choice, not this client's limit.
 */
export function handshake(
  host: string,
  port: number,
  o: {
    servername?: string;
    ca?: string;
    minVersion: SecureVersion;
    maxVersion: SecureVersion;
    timeoutMs: number;
    signal?: AbortSignal;
  },
): Promise<Handshake> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({
      host,
      port,
      ...(o.servername !== undefined ? { servername: o.servername } : {}),
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      rejectUnauthorized: false,
      // The chain alone decides `authorized`; the hostname is its own finding.
      checkServerIdentity: () => undefined,
      minVersion: o.minVersion,
      maxVersion: o.maxVersion,
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    const done = (h: Handshake): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(h);
    };
    const onAbort = (): void => done({ error: 'aborted', refused: false });
    const timer = setTimeout(
      () => done({ error: `no handshake within ${o.timeoutMs} ms`, refused: false }),
      o.timeoutMs,
    );
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    socket.once('secureConnect', () => {
      const error = socket.authorizationError as unknown;
      done({
        protocol: socket.getProtocol() ?? 'unknown',
        authorized: socket.authorized,
        ...(error ? { authorizationError: errorText(error) } : {}),
        cert: socket.getPeerCertificate(),
      });
    });
    // Once TCP is up, any failure is the server refusing the handshake (an alert, a reset).
    let connected = false;
    socket.once('connect', () => {
      connected = true;
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ error: error.code ?? error.message, refused: connected }),
    );
  });
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message ?? String(error);
}

/** The version just below `v`, or undefined for the oldest. */
export function versionBelow(v: TlsVersion): TlsVersion | undefined {
  const i = TLS_VERSIONS.indexOf(v);
  return i > 0 ? TLS_VERSIONS[i - 1] : undefined;
}

/** Whether `protocol` (as Node reports it) is `min` or newer. */
export function atLeast(protocol: string, min: TlsVersion): boolean {
  const i = TLS_VERSIONS.indexOf(protocol as TlsVersion);
  return i >= 0 && i >= TLS_VERSIONS.indexOf(min);
}

/** Whole days from `now` until the certificate's notAfter (negative once expired). */
export function daysToExpiry(validTo: string, now: Date): number {
  return Math.floor((Date.parse(validTo) - now.getTime()) / DAY_MS);
}

/** Options of one TLS probe of one arm. */
export interface TlsProbeOptions {
  /** PEM text of the CA file named by tls.ca (read before anything is sent). */
  ca?: string;
  /** Where tls.ca came from, for sentences. */
  caFile?: string;
  /** The request whose response must carry HSTS. */
  request?: ProbeRequest;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The clock for expiry (tests pin it). */
  now?: Date;
}

/** Probe the TLS invariants of one https arm. */
export async function probeTls(target: ProbeTarget, cfg: TlsConfig, o: TlsProbeOptions): Promise<SecurityFinding[]> {
  const url = new URL(target.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const name = cfg.hostname ?? host;
  // SNI carries a DNS name only (RFC 6066); an IP is checked against the certificate's IP entries.
  const servername = isIP(name) ? undefined : name;
  const where = `${url.host}`;
  const trust = o.caFile !== undefined ? `the CA in ${o.caFile}` : "Node's trust store";
  const finding = (invariant: string, status: SecurityFinding['status'], sentence: string, extra = {}) =>
    ({
      probe: 'tls',
      invariant,
      arm: target.arm,
      status,
      sentence,
      critical: cfg.critical,
      requests: 1,
      ...extra,
    }) satisfies SecurityFinding;

  const base = {
    ...(servername !== undefined ? { servername } : {}),
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
    timeoutMs: o.timeoutMs,
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const below = versionBelow(cfg.minVersion);
  const [main, old] = await Promise.all([
    handshake(host, port, { ...base, minVersion: 'TLSv1', maxVersion: 'TLSv1.3' }),
    below ? handshake(host, port, { ...base, minVersion: 'TLSv1', maxVersion: below }) : undefined,
  ]);
  const out: SecurityFinding[] = [];
  if ('error' in main) {
    const status = main.refused ? 'fail' : 'error';
    const why = main.refused ? `refused every TLS handshake (${main.error})` : `could not be reached (${main.error})`;
    out.push(finding('tls version', status, `${target.arm} at ${where} ${why}`));
    for (const invariant of ['tls chain', 'tls expiry', 'tls hostname'])
      out.push(finding(invariant, 'error', `${target.arm} at ${where}: not checked, no TLS handshake (${main.error})`));
    return out;
  }

  out.push(versionFinding(target.arm, where, cfg.minVersion, main.protocol, below, old, finding));

  out.push(
    main.authorized
      ? finding('tls chain', 'pass', `${target.arm}'s certificate chain verifies against ${trust}`)
      : finding(
          'tls chain',
          'fail',
          `${target.arm}'s certificate chain does not verify against ${trust}: ${main.authorizationError ?? 'unknown reason'}`,
        ),
  );

  const validTo = main.cert?.valid_to;
  if (validTo === undefined) {
    out.push(finding('tls expiry', 'error', `${target.arm} at ${where} showed no certificate`));
  } else {
    const days = daysToExpiry(validTo, o.now ?? new Date());
    const date = new Date(Date.parse(validTo)).toISOString().slice(0, 10);
    const ok = days >= cfg.minDaysToExpiry;
    const when = days < 0 ? `expired ${-days} days ago (${date})` : `expires in ${days} days (${date})`;
    out.push(
      finding(
        'tls expiry',
        ok ? 'pass' : 'fail',
        `${target.arm}'s certificate ${when}; ${ok ? 'at least' : 'the scenario requires at least'} ${cfg.minDaysToExpiry} days`,
        { observed: days, threshold: cfg.minDaysToExpiry, unit: 'value' },
      ),
    );
  }

  const mismatch = main.cert ? checkServerIdentity(name, main.cert) : new Error('no certificate');
  out.push(
    mismatch === undefined
      ? finding('tls hostname', 'pass', `${target.arm}'s certificate is valid for ${name}`)
      : finding(
          'tls hostname',
          'fail',
          `${target.arm}'s certificate is not valid for ${name} (it names ${main.cert?.subjectaltname || main.cert?.subject?.CN || 'nothing'})`,
        ),
  );

  if (cfg.hsts && o.request) out.push(await hstsFinding(target, cfg, o, servername, finding));
  return out;
}

function versionFinding(
  arm: string,
  where: string,
  min: TlsVersion,
  negotiated: string,
  below: TlsVersion | undefined,
  old: Handshake | undefined,
  finding: (invariant: string, status: SecurityFinding['status'], sentence: string) => SecurityFinding,
): SecurityFinding {
  if (!atLeast(negotiated, min))
    return finding(
      'tls version',
      'fail',
      `${arm} at ${where} negotiated ${negotiated}; the scenario requires ${min} or newer`,
    );
  if (below && old && !('error' in old))
    return finding(
      'tls version',
      'fail',
      `${arm} at ${where} negotiated ${negotiated} but also accepted a ${old.protocol} handshake; the scenario requires ${min} or newer`,
    );
  if (below && old && 'error' in old && !old.refused)
    return finding(
      'tls version',
      'error',
      `${arm} at ${where} negotiated ${negotiated}; whether it refuses ${below} is unknown (${old.error})`,
    );
  return finding(
    'tls version',
    'pass',
    `${arm} at ${where} negotiated ${negotiated}${below ? ` and refused ${below}` : ''} (minimum ${min})`,
  );
}

/** HSTS: "max-age=N[; includeSubDomains][; preload]". */
export function parseHsts(value: string): { maxAgeSec: number; includeSubDomains: boolean } | undefined {
  const parts = value.split(';').map((p) => p.trim().toLowerCase());
  const age = parts.map((p) => /^max-age\s*=\s*"?(\d+)"?$/.exec(p)).find((m) => m !== null);
  if (!age) return undefined;
  return { maxAgeSec: Number(age[1]), includeSubDomains: parts.includes('includesubdomains') };
}

async function hstsFinding(
  target: ProbeTarget,
  cfg: TlsConfig,
  o: TlsProbeOptions,
  servername: string | undefined,
  finding: (invariant: string, status: SecurityFinding['status'], sentence: string) => SecurityFinding,
): Promise<SecurityFinding> {
  const hsts = cfg.hsts as NonNullable<TlsConfig['hsts']>;
  const req = o.request as ProbeRequest;
  const agent = probeAgent({ ...(o.ca !== undefined ? { ca: o.ca } : {}), ...(servername ? { servername } : {}) }, 1);
  try {
    const answer = await sendProbe(agent, target, req, o);
    const what = `${target.arm}'s answer to ${describeRequest(req)}`;
    if ('error' in answer) return finding('hsts', 'error', `${what}: none (${answer.error})`);
    const value = headerText(answer.headers, 'strict-transport-security');
    const parsed = value === undefined ? undefined : parseHsts(value);
    const minSec = hsts.minMaxAgeDays * 86_400;
    if (!parsed) return finding('hsts', 'fail', `${what} has no valid Strict-Transport-Security header`);
    if (parsed.maxAgeSec < minSec)
      return finding(
        'hsts',
        'fail',
        `${what} has Strict-Transport-Security max-age ${parsed.maxAgeSec} s, under the ${hsts.minMaxAgeDays} days required`,
      );
    if (hsts.includeSubDomains && !parsed.includeSubDomains)
      return finding('hsts', 'fail', `${what} has Strict-Transport-Security without includeSubDomains`);
    return finding('hsts', 'pass', `${what} has Strict-Transport-Security max-age ${parsed.maxAgeSec} s`);
  } finally {
    await agent.close();
  }
}
