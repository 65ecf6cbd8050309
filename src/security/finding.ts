/**
 * What a security probe finds: plain data, one finding per invariant and arm, with the sentence
 * that explains it. A finding becomes a check in the verdict (group "security") like any other,
 * so it lands in the score, the decision matrix and every report. Pure.
 */
import type { CheckResult, CheckStatus } from '../gates/verdict.js';

/** The weight group of every security check (gates.weights.security weighs them). */
export const SECURITY_GROUP = 'security';

/** The probes of the security section. */
export type SecurityProbeName = 'tls' | 'auth' | 'rateLimit' | 'headers';

/** One invariant on one arm, as a probe found it. */
export interface SecurityFinding {
  /** Which probe found it. */
  probe: SecurityProbeName;
  /** The invariant, short, as a check name: "tls version", "auth: no credentials refused". */
  invariant: string;
  /** "baseline" or "canary". */
  arm: string;
  /** pass, fail, inconclusive (the probe saw nothing to judge), error (the probe could not ask). */
  status: CheckStatus;
  /** One sentence naming the arm, what was seen and what the invariant asks. */
  sentence: string;
  /** A failure rolls back at once. */
  critical: boolean;
  /** The number behind the finding, when there is one (days to expiry, share throttled). */
  observed?: number;
  /** The bound it was held to, in the same unit. */
  threshold?: number;
  /** Unit of observed and threshold. */
  unit?: 'fraction' | 'value';
  /** Probe requests (or handshakes) behind the finding. */
  requests: number;
}

/** The check name of a finding in reports: the invariant and the arm. */
export function findingName(f: Pick<SecurityFinding, 'invariant' | 'arm'>): string {
  return `${f.invariant} (${f.arm})`;
}

/** A finding as a check result of the verdict. */
export function findingCheck(f: SecurityFinding): CheckResult {
  return {
    name: findingName(f),
    group: SECURITY_GROUP,
    status: f.status,
    observed: f.observed ?? null,
    interval: null,
    threshold: f.threshold ?? null,
    unit: f.unit ?? 'value',
    samples: { [f.arm]: f.requests },
    critical: f.critical,
    reason: f.sentence,
  };
}

/** The findings that stop a rollout: failed or errored critical ones. */
export function blockingFindings(findings: readonly SecurityFinding[]): SecurityFinding[] {
  return findings.filter((f) => f.critical && (f.status === 'fail' || f.status === 'error'));
}
