/** `canary-gate schema`: print the scenario JSON Schema, or with --serve the serve config's (zod's own export of the one schema). */
import type { Argv } from 'yargs';
import { EXIT } from '../exit-codes.js';
import { scenarioJsonSchema } from '../scenario/json-schema.js';
import { serveConfigJsonSchema } from '../serve/config.js';
import type { CliIO } from './io.js';

/** Flags of the schema command. */
export interface SchemaArgs {
  serve: boolean;
}

/** Declare the command's flag and examples. */
export function schemaBuilder<T>(y: Argv<T>): Argv<T & SchemaArgs> {
  return y
    .option('serve', {
      type: 'boolean',
      default: false,
      describe: "the serve config's schema instead of the scenario's",
    })
    .example('$0 schema > scenario.schema.json', 'save the schema; point "$schema" in a scenario at it')
    .example('$0 schema | jq .properties.traffic', 'read the docs of the traffic fields')
    .example('$0 schema --serve > serve.schema.json', 'the schema of `canary-gate serve --config` files') as Argv<
    T & SchemaArgs
  >;
}

/** Print the schema. */
export async function runSchemaCommand(io: CliIO, args: Partial<SchemaArgs> = {}): Promise<number> {
  io.stdout(`${JSON.stringify(args.serve ? serveConfigJsonSchema() : scenarioJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
