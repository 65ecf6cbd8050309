/**
 * `recover`: after a crash (kill -9, a lost machine), read a run's journal and put its router
 * back to 0 % canary, saying what it found and what it did.
 */
import { existsSync } from 'node:fs';
import { createRouter } from '../canary/routers/create-router.js';
import { ScenarioError, UsageError } from '../errors.js';
import type { RunScenario } from '../scenario/schema.js';
import type { Redactor } from '../scenario/secrets.js';
import { journalState, RunJournal, readJournal } from './journal.js';

/** What recover did. */
export type Recovery =
  | { run: string; action: 'none'; decision: string | null }
  | { run: string; action: 'reset'; weightBefore: number };

/**
 * Reset the router of the run `journalPath` records, unless it settled (or `force`). The
 * scenario is read with `readScenario` from `scenarioFile`, or from where the journal says it was.
 */
export async function recoverRun(o: {
  journalPath: string;
  scenarioFile?: string;
  force: boolean;
  readScenario: (file: string) => Promise<{ scenario: RunScenario; redactor: Redactor }>;
  say: (text: string) => void;
}): Promise<Recovery> {
  if (!existsSync(o.journalPath)) throw new UsageError(`${o.journalPath}: no such journal`);
  const state = journalState(readJournal(o.journalPath));
  if (!state.start) throw new ScenarioError(`${o.journalPath}: not a canary-gate run journal (no start entry)`);
  const run = state.start.run;
  o.say(`run ${run} (${state.start.router}), started ${state.start.time}`);
  if (state.settled && !o.force) {
    o.say(`the journal shows the run settled (${state.decision ?? 'reset'}); nothing to do (--force resets anyway)`);
    return { run, action: 'none', decision: state.decision ?? null };
  }
  o.say(`the journal shows up to ${state.weight}% canary and no reset after it`);
  const { scenario, redactor } = await o.readScenario(o.scenarioFile ?? state.start.scenarioFile);
  const router = createRouter(scenario);
  try {
    await router.reset(run);
  } finally {
    await router.close();
  }
  const journal = new RunJournal(o.journalPath, run);
  journal.append({ event: 'recovered', weightBefore: state.weight });
  journal.close();
  o.say(redactor.redactText(`reset ${router.describe()} to 0% canary (was up to ${state.weight}%)`));
  return { run, action: 'reset', weightBefore: state.weight };
}
