/** What every report of a run says besides its warnings: the default checks when the scenario named none. Pure. */
import type { RunResult } from '../result/run-result.js';
import { defaultChecksNote } from '../scenario/checks.js';

/** Sentences a reader must see to read the verdicts right (none for a scenario that wrote its checks). */
export function runNotes(r: RunResult): string[] {
  return r.defaultChecks ? [defaultChecksNote(r.defaultChecks.names, r.defaultChecks.reference)] : [];
}
