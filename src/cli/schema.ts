/** `canary-gate schema`: print the scenario JSON Schema (zod's own export of the one schema). */
import type { Argv } from 'yargs';
import { EXIT } from '../exit-codes.js';
import { scenarioJsonSchema } from '../scenario/json-schema.js';
import type { CliIO } from './io.js';

/** Declare the command's examples. */
export function schemaBuilder<T>(y: Argv<T>): Argv<T> {
  return y
    .example('$0 schema > scenario.schema.json', 'save the schema; point "$schema" in a scenario at it')
    .example('$0 schema | jq .properties.traffic', 'read the docs of the traffic fields');
}

/** Print the schema. */
export async function runSchemaCommand(io: CliIO): Promise<number> {
  io.stdout(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
