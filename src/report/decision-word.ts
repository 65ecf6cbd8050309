/** The word a report shows for a run's decision: a canary is promoted or rolled back; a regression run passes or regresses. */
import type { RunResult } from '../result/run-result.js';

/** "PROMOTE", "ROLLBACK", … for a canary; "PASS", "REGRESSION", … for a regression run. */
export function decisionWord(r: Pick<RunResult, 'decision' | 'regress'>): string {
  if (r.regress) {
    if (r.decision === 'promote') return 'PASS';
    if (r.decision === 'rollback') return 'REGRESSION';
  }
  return r.decision.toUpperCase();
}
