/** `canary-gate init [file]`: write the commented starter scenario; never overwrites without --force. */
import { writeFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { STARTER_SCENARIO } from '../scenario/starter.js';
import type { CliIO } from './io.js';

/** Flags of the init command. */
export interface InitArgs {
  file: string;
  force: boolean;
  json: boolean;
}

/** Declare the command's positional and flags. */
export function initBuilder<T>(y: Argv<T>): Argv<T & InitArgs> {
  return y
    .positional('file', { type: 'string', default: 'canary-gate.yaml', describe: 'where to write the scenario' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing file' })
    .example('$0 init', 'write canary-gate.yaml in this folder')
    .example('$0 init scenarios/checkout.yaml --force', 'write (or overwrite) another file') as Argv<T & InitArgs>;
}

/** Write the starter. */
export async function runInitCommand(args: InitArgs, io: CliIO): Promise<number> {
  try {
    await writeFile(args.file, STARTER_SCENARIO, { flag: args.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`${args.file} exists; not overwritten`, { hint: 'pass --force to overwrite it' });
    }
    throw new UsageError(`cannot write ${args.file}: ${(error as Error).message}`);
  }
  if (args.json) io.stdout(`${JSON.stringify({ written: args.file })}\n`);
  io.stderr(`wrote ${args.file}\nnext: edit the targets and requests, then run canary-gate validate ${args.file}\n`);
  return EXIT.ok;
}
