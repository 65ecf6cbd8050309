/** What the judge returns: one result per check and a step-level verdict. Pure data. */

/** Outcome of one check. */
export type CheckStatus = 'pass' | 'fail' | 'inconclusive' | 'error';

/** One check's result, with the sentence that explains it. */
export interface CheckResult {
  /** Check name. */
  name: string;
  /** Outcome. */
  status: CheckStatus;
  /** Observed canary value, in the check's unit. */
  observed: number | null;
  /** The bound it was held to, in the check's unit. */
  threshold: number | null;
  /** Unit of observed and threshold. */
  unit: 'ms' | 'fraction' | 'perSec';
  /** Requests behind the observation, per arm. */
  samples: Record<string, number>;
  /** A failure here rolls back at once. */
  critical: boolean;
  /** Why, in one sentence. */
  reason: string;
}

/** What the driver does next with a step. */
export type StepDecision = 'continue' | 'extend' | 'rollback';

/** The judge's answer for one step. */
export interface StepVerdict {
  /** continue to the next step (or promote after the last), extend the step, or roll back. */
  decision: StepDecision;
  /** Per-check results. */
  checks: CheckResult[];
  /** Why, in one sentence. */
  reason: string;
}
