/**
 * `canary-gate recover <journal>`: after a crash (kill -9, a lost machine), read the run journal
 * and put the router back to 0 % canary, saying what it found and what it did.
 */
import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { createRouter } from '../canary/routers/create-router.js';
import { ScenarioError, UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { journalState, RunJournal, readJournal } from '../session/journal.js';
import type { CliIO } from './io.js';
import { readScenarioFile } from './scenario-file.js';

/** Flags of the recover command. */
export interface RecoverArgs {
  journal: string;
  scenario?: string;
  force: boolean;
  json: boolean;
}

/** Declare the command's positional and flags. */
export function recoverBuilder<T>(y: Argv<T>): Argv<T & RecoverArgs> {
  return y
    .positional('journal', {
      type: 'string',
      describe: 'the run journal (<outputs.dir>/<run>/journal.jsonl)',
      demandOption: true,
    })
    .option('scenario', {
      type: 'string',
      describe: 'scenario file, when it moved since the run (default: as journaled)',
    })
    .option('force', { type: 'boolean', default: false, describe: 'reset even when the journal says the run settled' })
    .example(
      '$0 recover canary-gate-output/20261129-031502-a3f9/journal.jsonl',
      'restore 0% canary after a crashed run',
    ) as Argv<T & RecoverArgs>;
}

/** Run the command. */
export async function runRecoverCommand(args: RecoverArgs, io: CliIO): Promise<number> {
  if (!existsSync(args.journal)) throw new UsageError(`${args.journal}: no such journal`);
  const state = journalState(readJournal(args.journal));
  if (!state.start) throw new ScenarioError(`${args.journal}: not a canary-gate run journal (no start entry)`);
  const say = (text: string) => io.stderr(`${text}\n`);
  say(`run ${state.start.run} (${state.start.router}), started ${state.start.time}`);
  if (state.settled && !args.force) {
    say(`the journal shows the run settled (${state.decision ?? 'reset'}); nothing to do (--force resets anyway)`);
    if (args.json)
      io.stdout(`${JSON.stringify({ run: state.start.run, action: 'none', decision: state.decision ?? null })}\n`);
    return EXIT.ok;
  }
  say(`the journal shows up to ${state.weight}% canary and no reset after it`);
  const { scenario, redactor } = await readScenarioFile(args.scenario ?? state.start.scenarioFile, io);
  const router = createRouter(scenario);
  try {
    await router.reset(state.start.run);
  } finally {
    await router.close();
  }
  const journal = new RunJournal(args.journal, state.start.run);
  journal.append({ event: 'recovered', weightBefore: state.weight });
  journal.close();
  say(redactor.redactText(`reset ${router.describe()} to 0% canary (was up to ${state.weight}%)`));
  if (args.json)
    io.stdout(`${JSON.stringify({ run: state.start.run, action: 'reset', weightBefore: state.weight })}\n`);
  return EXIT.ok;
}
