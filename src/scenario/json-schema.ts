/** The scenario's JSON Schema, exported by zod from the same schema that validates. Pure. */
import { z } from 'zod';
import { ScenarioSchema } from './schema.js';

/** Where the published schema lives in the package, for `$schema` in scenario files. */
export const SCHEMA_PATH = 'node_modules/canary-gate/schema/scenario.schema.json';

/** JSON Schema (draft 2020-12) of scenario files as written (before defaults and parsing). */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://canary-gate.dev/schema/scenario.schema.json',
    title: 'canary-gate scenario',
    ...schema,
  };
}
