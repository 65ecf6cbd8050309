/**
 * How findings enter a rollout's decision. The canary's findings are checks the judge weighs
 * (group "security"); the baseline's are reported beside them (group "security (baseline)") and
 * never decide: the canary is what is being judged. A blocking finding — critical, failed or not
 * read — stops a rollout at once: on the canary it rolls back, on the baseline in pre-flight it
 * aborts, since production itself does not hold what the scenario says. Pure.
 */
import { scoreChecks } from '../gates/score.js';
import type { CheckResult, StepVerdict } from '../gates/verdict.js';
import { blockingFindings, findingCheck, findingName, SECURITY_GROUP, type SecurityFinding } from './finding.js';

/** The group of the baseline's findings: shown in reports, never scored. */
export const BASELINE_SECURITY_GROUP = `${SECURITY_GROUP} (baseline)`;

/** The findings of one look as checks: those the judge weighs and those only reported. */
export function securityChecks(findings: readonly SecurityFinding[]): {
  judged: CheckResult[];
  reported: CheckResult[];
} {
  return {
    judged: findings.filter((f) => f.arm === 'canary').map(findingCheck),
    reported: findings
      .filter((f) => f.arm !== 'canary')
      .map((f) => ({ ...findingCheck(f), group: BASELINE_SECURITY_GROUP, critical: false })),
  };
}

/** What stops a rollout now, if anything: the first blocking finding, canary first. */
export function securityStop(
  findings: readonly SecurityFinding[],
): { arm: 'canary' | 'baseline'; reason: string } | undefined {
  const blocking = blockingFindings(findings);
  const canary = blocking.find((f) => f.arm === 'canary');
  if (canary) return { arm: 'canary', reason: `critical check ${findingName(canary)} failed: ${canary.sentence}` };
  const baseline = blocking[0];
  if (baseline)
    return {
      arm: 'baseline',
      reason: `the baseline breaks ${baseline.invariant}: ${baseline.sentence}; the scenario's security invariants do not hold in production`,
    };
  return undefined;
}

/** One security look as a rollout uses it: checks to judge, checks only to report, and what stops it. */
export interface SecurityLook {
  /** The canary's findings: the judge weighs them with the step's own checks. */
  judged: CheckResult[];
  /** The baseline's findings: shown beside them, never scored. */
  reported: CheckResult[];
  /** The first blocking finding, canary first. */
  stop?: { arm: 'canary' | 'baseline'; reason: string };
}

/** A look's findings sorted into what the judge weighs, what is only shown, and what stops the run. */
export function securityLook(findings: readonly SecurityFinding[]): SecurityLook {
  const stop = securityStop(findings);
  return { ...securityChecks(findings), ...(stop ? { stop } : {}) };
}

/**
 * The verdict of a step stopped by a blocking finding before its load: a rollback with the
 * finding's sentence, scored on the security checks alone (nothing else was measured).
 */
export function stoppedVerdict(
  look: SecurityLook,
  gates: { weights: Readonly<Record<string, number>>; passScore: number },
): StepVerdict {
  return {
    decision: 'rollback',
    checks: [...look.judged, ...look.reported],
    score: scoreChecks(look.judged, gates.weights, gates.passScore),
    alpha: 0,
    reason: look.stop?.reason ?? 'stopped by a security finding',
  };
}
