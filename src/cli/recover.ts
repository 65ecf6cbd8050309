/**
 * `canary-gate recover <journal>`: after a crash (kill -9, a lost machine), read the run journal
 * and put the router back to 0 % canary, saying what it found and what it did (session/recover.ts).
 */
import type { Argv } from 'yargs';
import { EXIT } from '../exit-codes.js';
import { RUN_MODES } from '../scenario/schema.js';
import { recoverRun } from '../session/recover.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';

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
  const outcome = await recoverRun({
    journalPath: args.journal,
    ...(args.scenario !== undefined ? { scenarioFile: args.scenario } : {}),
    force: args.force,
    readScenario: (file) => readScenarioFile(file, io, { accept: { modes: RUN_MODES, command: 'recover' } }),
    say: (text) => io.stderr(`${text}\n`),
  });
  if (args.json) io.stdout(`${JSON.stringify(outcome)}\n`);
  return EXIT.ok;
}
