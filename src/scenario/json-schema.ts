/** The scenario's JSON Schema, exported by zod from the same schema that validates. Pure. */
import { z } from 'zod';
import { ScenarioSchema } from './schema.js';

/** Where the published schema lives in the package, for `$schema` in scenario files. */
export const SCHEMA_PATH = 'node_modules/canary-gate/schema/scenario.schema.json';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Several modes' versions of one field as one loose schema: objects merge their properties
 * (without required keys or additionalProperties), other values become anyOf. It describes every
 * field and rejects nothing a mode accepts; each mode's own schema (oneOf) does the validating.
 */
function looseUnion(schemas: Json[]): Json {
  const distinct = schemas.filter((s, i) => schemas.findIndex((t) => JSON.stringify(t) === JSON.stringify(s)) === i);
  const [first] = distinct;
  if (first === undefined) return {};
  if (distinct.length === 1) return first;
  if (distinct.every((s) => s.type === 'object' && isObject(s.properties))) {
    const names = [...new Set(distinct.flatMap((s) => Object.keys(s.properties as Json)))];
    const properties = Object.fromEntries(
      names.map((name) => [
        name,
        looseUnion(distinct.map((s) => (s.properties as Json)[name]).filter(isObject) as Json[]),
      ]),
    );
    return { ...(first.description ? { description: first.description } : {}), type: 'object', properties };
  }
  return { ...(first.description ? { description: first.description } : {}), anyOf: distinct };
}

/** JSON Schema (draft 2020-12) of scenario files as written (before defaults and parsing). */
export function scenarioJsonSchema(): Json {
  const schema = z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  const variants = (schema.oneOf ?? []) as Json[];
  // The loader reads `mode: regression` with a regress section as mode regress (schema.ts); editors should too.
  for (const variant of variants) {
    const m = (variant.properties as Json | undefined)?.mode as Json | undefined;
    if (m?.const === 'regress') {
      delete m.const;
      m.enum = ['regress', 'regression'];
    }
  }
  // Every field of every mode, documented in one place for readers and editors that do not follow oneOf.
  const names = [...new Set(variants.flatMap((v) => Object.keys((v.properties ?? {}) as Json)))];
  const properties = Object.fromEntries(
    names.map((name) => [
      name,
      looseUnion(variants.map((v) => (v.properties as Json)[name]).filter(isObject) as Json[]),
    ]),
  );
  return {
    $schema: schema.$schema,
    $id: 'https://canary-gate.dev/schema/scenario.schema.json',
    title: 'canary-gate scenario',
    ...schema,
    type: 'object',
    properties,
  };
}
