/**
 * How findings enter a rollout's decision. The canary's findings are checks the judge weighs
 * (group "security"); the baseline's are reported beside them (group "security (baseline)") and
 * never decide: the canary is what is being judged. A blocking finding — critical, failed or not
 * read — stops a rollout at once: on the canary it rolls back, on the baseline in pre-flight it
 * aborts, since production itself does not hold what the scenario says. Pure.
 */
import type { CheckResult } from '../gates/verdict.js';
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
