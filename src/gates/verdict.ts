/** What the judge returns: one result per check and a step-level verdict. Pure data. */
import type { Scorecard } from './scorecard.js';

/** Outcome of one check. */
export type CheckStatus = 'pass' | 'fail' | 'inconclusive' | 'error';

/** An interval's ends; null where too few samples bound that side. */
export type Interval = [number | null, number | null];

/** One check's result, with the sentence that explains it. */
export interface CheckResult {
  /** Check name. */
  name: string;
  /** Weight group of the check. */
  group: string;
  /** Outcome. */
  status: CheckStatus;
  /** Observed canary value, in the check's unit. */
  observed: number | null;
  /** The canary value's interval at this look's level, when the check is statistical. */
  interval: Interval | null;
  /** The bound it was held to (the binding one), in the check's unit. */
  threshold: number | null;
  /** Unit of observed and threshold ("value": a number from an external source, as it came). */
  unit: 'ms' | 'fraction' | 'perSec' | 'value';
  /** Requests behind the observation, per arm ("canary", "baseline", "stored"). */
  samples: Record<string, number>;
  /** Canary samples this check needs to decide, when it is inconclusive for want of them. */
  needSamples?: number;
  /** A failure here rolls back at once. */
  critical: boolean;
  /** Why, in one sentence per limit. */
  reason: string;
}

/** What the driver does next with a step. */
export type StepDecision = 'continue' | 'extend' | 'rollback';

/** A window the judge left out of a look: it decided no check. */
export interface ExcludedWindow {
  /** Start on the run's clock, ms. */
  startMs: number;
  /** Why: "generator-limited", "common transient", … */
  kind: string;
  /** Details, when the source gave them. */
  detail?: string;
}

/** The judge's answer for one look at a step. */
export interface StepVerdict {
  /** continue (next step or promote), extend (keep measuring), or roll back. */
  decision: StepDecision;
  /** Per-check results. */
  checks: CheckResult[];
  /** Score, groups and GO / NO-GO (under policy "continue", with the open checks counted as passing). */
  score: Scorecard;
  /** False-rollback budget this look used. */
  alpha: number;
  /** False-promotion budget per check this look used (0 when no check could pass). */
  beta?: number;
  /** Why, in one sentence. */
  reason: string;
  /** The checks that decided a rollback, or that the inconclusive policy let through. */
  decidedBy?: string[];
  /** Windows left out of this look (the driver's marks and common transients). */
  excluded?: ExcludedWindow[];
}
