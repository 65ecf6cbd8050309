/**
 * What the driver writes ahead of every weight change, so that after a crash the run's journal
 * says which weight the canary may hold. The driver only appends; session/journal.ts keeps the
 * file (fsynced lines) and reads it back for `recover`.
 */

/** An entry the driver appends, before the action it announces. */
export type WeightEntry =
  | { event: 'start'; scenarioFile: string; router: string; digest: string }
  | { event: 'weight'; step: number; weight: number }
  | { event: 'applied'; step: number; weight: number }
  | { event: 'reset'; reason: string }
  | { event: 'reset-done' }
  | { event: 'end'; decision: string };

/** Where the driver announces weight changes: appended and on disk before `append` returns. */
export interface WeightJournal {
  /** The journal's file, for "run canary-gate recover <path>". */
  readonly path: string;
  /** Append one entry durably; throws when it cannot. */
  append(entry: WeightEntry): void;
}
