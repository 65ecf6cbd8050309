/** The score of a step's checks: what score.ts computes and a StepVerdict carries. Pure data. */

/** One row of the decision matrix. */
export interface GroupScore {
  group: string;
  weight: number;
  checks: number;
  passed: number;
  failed: number;
  inconclusive: number;
  /** 0–10. */
  score: number;
}

/** The step's score and GO / NO-GO. */
export interface Scorecard {
  groups: GroupScore[];
  /** 0–10, weighted over groups. */
  score: number;
  /** Score if every inconclusive check later passed. */
  bestPossible: number;
  go: boolean;
}
