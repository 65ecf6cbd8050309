/**
 * One security look at the arms: the probes due at this point (pre-flight runs every probe; a
 * step runs those that do not skip it), every arm at once, and on each arm the quick probes
 * first and the rate-limit probe last, so their few requests never land in the limiter's bucket
 * while it is measured. Never throws for what a probe finds or fails to reach: those are findings.
 */
import { isIP } from 'node:net';
import { pickRequest, requestLabel, type SecurityConfig } from '../scenario/security-schema.js';
import { probeAuth } from './auth.js';
import type { SecurityFinding, SecurityProbeName } from './finding.js';
import { type SecurityLook, securityLook } from './gate.js';
import { judgeHeaders } from './headers.js';
import { type ProbeHttpOptions, type ProbeRequest, type ProbeTarget, probeAgent, sendProbe } from './http.js';
import type { SecurityMaterial } from './material.js';
import { probeRateLimit } from './rate-limit.js';
import { probeTls } from './tls.js';

/** Where in the run a look happens: before any weight changes, or at a step (1 = the first). */
export type SecurityLookAt = 'preflight' | number;

/** Everything one look needs. */
export interface SecurityLookOptions {
  section: SecurityConfig;
  /** The arms, in the order findings are reported. */
  targets: readonly ProbeTarget[];
  /** The scenario's request mix (headers already interpolated). */
  requests: readonly { name?: string; method: string; path: string; headers: Record<string, string>; body?: string }[];
  material: SecurityMaterial;
  at: SecurityLookAt;
  signal?: AbortSignal;
  /** The clock for certificate expiry. */
  now?: Date;
}

const ORDER: readonly SecurityProbeName[] = ['tls', 'auth', 'rateLimit', 'headers'];

/** The probes configured and not skipped at `at`. Pure. */
export function dueProbes(section: SecurityConfig, at: SecurityLookAt): SecurityProbeName[] {
  return ORDER.filter((p) => {
    const cfg = section[p];
    return cfg !== undefined && (at === 'preflight' || !cfg.skipSteps.includes(at));
  });
}

function probeRequest(requests: SecurityLookOptions['requests'], name: string | undefined): ProbeRequest {
  // The schema checked that the name exists and that the mix is not empty.
  const r = pickRequest(requests, name) ?? requests[0];
  if (!r) throw new Error('a security probe needs a request in the mix');
  return {
    name: requestLabel(r),
    method: r.method,
    path: r.path,
    headers: r.headers,
    ...(r.body !== undefined ? { body: r.body } : {}),
  };
}

/** Run the probes due at this look on every arm. */
export async function probeSecurity(o: SecurityLookOptions): Promise<SecurityFinding[]> {
  const due = dueProbes(o.section, o.at);
  if (due.length === 0) return [];
  const perArm = await Promise.all(o.targets.map((t) => probeArm(t, due, o)));
  return perArm.flat();
}

async function probeArm(
  target: ProbeTarget,
  due: readonly SecurityProbeName[],
  o: SecurityLookOptions,
): Promise<SecurityFinding[]> {
  const s = o.section;
  const https = target.url.startsWith('https:');
  const hostname = https ? s.tls?.hostname : undefined;
  const http: ProbeHttpOptions = {
    ...(https && o.material.ca !== undefined ? { ca: o.material.ca } : {}),
    ...(hostname !== undefined && !isIP(hostname) ? { servername: hostname } : {}),
    timeoutMs: s.timeout,
    ...(o.signal ? { signal: o.signal } : {}),
  };
  const agent = probeAgent(http);
  try {
    const quick = await Promise.all(
      due.map(async (probe): Promise<SecurityFinding[]> => {
        if (probe === 'tls' && s.tls && https)
          return probeTls(target, s.tls, {
            ...(o.material.ca !== undefined ? { ca: o.material.ca } : {}),
            ...(o.material.caFile !== undefined ? { caFile: o.material.caFile } : {}),
            request: probeRequest(o.requests, undefined),
            timeoutMs: s.timeout,
            ...(o.signal ? { signal: o.signal } : {}),
            ...(o.now ? { now: o.now } : {}),
          });
        if (probe === 'auth' && s.auth)
          return probeAuth(agent, target, s.auth, probeRequest(o.requests, s.auth.request), {
            ...http,
            throttleStatus: s.rateLimit?.status ?? 429,
          });
        if (probe === 'headers' && s.headers) {
          const req = probeRequest(o.requests, s.headers.request);
          return judgeHeaders(target.arm, s.headers, req, await sendProbe(agent, target, req, http));
        }
        return [];
      }),
    );
    const limited =
      due.includes('rateLimit') && s.rateLimit
        ? await probeRateLimit(target, s.rateLimit, probeRequest(o.requests, s.rateLimit.request), http)
        : [];
    // Findings in the section's order whatever finished first.
    const byProbe = new Map<SecurityProbeName, SecurityFinding[]>(due.map((p, i) => [p, quick[i] ?? []]));
    byProbe.set('rateLimit', limited);
    return ORDER.flatMap((p) => byProbe.get(p) ?? []);
  } finally {
    await agent.close();
  }
}

/** One look, sorted for a rollout: the canary's checks judged, the baseline's reported, the stop if any. */
export async function lookAtSecurity(o: SecurityLookOptions): Promise<SecurityLook> {
  return securityLook(await probeSecurity(o));
}
