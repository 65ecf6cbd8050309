import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scenarioJsonSchema } from '../../../src/scenario/json-schema.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import { STARTER_SCENARIO } from '../../../src/scenario/starter.js';
import { EXAMPLE_ENV, EXAMPLES, MINIMAL } from '../../helpers/scenarios.js';

const schema = scenarioJsonSchema();
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

describe('scenario JSON Schema', () => {
  it('is a valid draft 2020-12 schema', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it('is what schema/scenario.schema.json holds (npm run schema regenerates it)', () => {
    const committed = readFileSync(
      fileURLToPath(new URL('../../../schema/scenario.schema.json', import.meta.url)),
      'utf8',
    );
    expect(JSON.parse(committed)).toEqual(schema);
  });

  it('documents every field of every mode from the zod descriptions', () => {
    const variants = schema.oneOf as {
      properties: Record<string, { description?: string; const?: string; enum?: string[] }>;
    }[];
    expect(variants.map((v) => v.properties.mode?.const ?? v.properties.mode?.enum?.[0])).toEqual([
      'canary',
      'regression',
      'capacity',
      'regress',
    ]);
    for (const variant of variants) {
      for (const [key, property] of Object.entries(variant.properties)) {
        expect(property.description, `${key} has a description`).toBeTruthy();
      }
    }
  });

  it('takes the old spelling of a regress scenario, mode: regression with a regress section, as the loader does', () => {
    const text = readFileSync(EXAMPLES.find((e) => e.name === 'regress.yaml')?.path ?? '', 'utf8').replace(
      /^mode: regress$/m,
      'mode: regression',
    );
    expect(text).toContain('mode: regression');
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    expect(loadScenario(text, { file: 'old.yaml', env: {} }).scenario.mode).toBe('regress');
  });

  it('gives each mode only the sections it acts on', () => {
    const capacity = `name: c\nmode: capacity\ntargets: { canary: { url: "http://127.0.0.1:1" } }\nrequests: [{ path: / }]\ncapacity: { slo: p99<50ms }\n`;
    expect(validate(parse(capacity))).toBe(true);
    for (const section of ['prometheus: { url: "http://127.0.0.1:2" }', 'steps: [100]', 'router: { type: split }']) {
      expect(validate(parse(`${capacity}${section}\n`)), section).toBe(false);
      expect(() => loadScenario(`${capacity}${section}\n`, { file: 'x.yaml', env: {} }), section).toThrow();
    }
  });

  it.each(EXAMPLES.map((e) => [e.name, e.text]))('accepts the example %s, as zod does', (name, text) => {
    const document = parse(text);
    const ok = validate(document);
    expect(validate.errors ?? [], name).toEqual([]);
    expect(ok).toBe(true);
    expect(() => loadScenario(text, { file: name, env: EXAMPLE_ENV })).not.toThrow();
  });

  it('accepts the starter scenario that init writes, as zod does', () => {
    expect(validate(parse(STARTER_SCENARIO))).toBe(true);
    expect(() =>
      loadScenario(STARTER_SCENARIO, { file: 'starter.yaml', env: { API_TOKEN: 'starter-token-0001' } }),
    ).not.toThrow();
  });

  it('rejects what zod rejects for structure: unknown keys, wrong types, bad router types', () => {
    for (const text of [
      `${MINIMAL}trafic: {}\n`,
      `${MINIMAL}traffic: { connections: many }\n`,
      `${MINIMAL}router: { type: ngnix }\n`,
    ]) {
      expect(validate(parse(text)), text).toBe(false);
      expect(() => loadScenario(text, { file: 'x.yaml', env: {} })).toThrow();
    }
  });

  it('covers every example file in scenarios/', () => {
    expect(EXAMPLES.map((e) => e.name)).toEqual([
      'capacity.yaml',
      'ci-regression.yaml',
      'demo.yaml',
      'nginx-canary.yaml',
      'proxy-canary.yaml',
      'regress.yaml',
      'security-canary.yaml',
    ]);
    for (const example of EXAMPLES)
      expect(example.text.startsWith('#'), `${example.name} says what it is for`).toBe(true);
  });
});
