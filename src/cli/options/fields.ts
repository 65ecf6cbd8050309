/**
 * Flags declared from the scenario fields they set: their help and defaults come from the schema
 * (scenario/fields.ts), never written here again.
 */
import type { Argv } from 'yargs';
import type { z } from 'zod';
import { type FieldFlag, flagHelp } from '../../scenario/fields.js';

/** A flag that sets a scenario field, as yargs declares it. */
export interface FieldFlagSpec extends FieldFlag {
  type: 'string' | 'number';
  alias?: string;
  array?: boolean;
  choices?: readonly string[];
  /** Said after the field's doc, before its default. */
  extra?: string;
}

/** Declare `flags` on a command, each described by its field's doc and default in `schema`. */
export function fieldFlags<T>(y: Argv<T>, schema: z.ZodType, flags: readonly FieldFlagSpec[]): Argv<T> {
  let out = y;
  for (const f of flags) {
    out = out.option(f.flag, {
      type: f.type,
      describe: flagHelp(schema, f.path, f.extra),
      ...(f.alias ? { alias: f.alias } : {}),
      // "-d -1s" must read "-1s" as the value (and say what is wrong with it), not as flags -1 -s.
      ...(f.array ? { array: true } : { nargs: 1 }),
      ...(f.choices ? { choices: f.choices } : {}),
    }) as Argv<T>;
  }
  return out;
}
