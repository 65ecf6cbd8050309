import { describe, expect, it } from 'vitest';
import { defaultText, fieldInfo, flagNamer, pathParts, setField, withFlags } from '../../../src/scenario/fields.js';
import { CapacityScenarioSchema, RegressScenarioSchema } from '../../../src/scenario/schema.js';
import { LoadSchema } from '../../../src/scenario/sections.js';

describe('flags as scenario fields', () => {
  it('reads a field path with list indices', () => {
    expect(pathParts('requests[0].path')).toEqual(['requests', 0, 'path']);
    expect(pathParts('traffic.warmup')).toEqual(['traffic', 'warmup']);
  });

  it("takes a field's doc and default from the schema, written as people write them", () => {
    expect(fieldInfo(CapacityScenarioSchema, 'capacity.start').description).toBe('first rate tried');
    expect(defaultText(CapacityScenarioSchema, 'capacity.start')).toBe('100/s');
    expect(defaultText(CapacityScenarioSchema, 'capacity.precision')).toBe('5%');
    expect(defaultText(CapacityScenarioSchema, 'traffic.warmup')).toBe('1s');
    expect(defaultText(RegressScenarioSchema, 'regress.memory')).toBe('256m');
    expect(defaultText(RegressScenarioSchema, 'traffic.rate')).toBe('200/s');
    // A list's default holds its items' defaults: regress requests default to [{ path: / }].
    expect(defaultText(RegressScenarioSchema, 'requests[0].path')).toBe('/');
    expect(defaultText(RegressScenarioSchema, 'regress.env')).toBeUndefined();
    expect(defaultText(LoadSchema, 'duration')).toBe('10s');
    expect(defaultText(CapacityScenarioSchema, 'traffic.timeout')).toBeUndefined();
  });

  it('lays the flags given over a document without changing it, and names their fields after them', () => {
    const doc = { name: 'x', traffic: { connections: 5 }, requests: [{ path: '/a' }] };
    const flags = [
      { flag: 'warmup', path: 'traffic.warmup' },
      { flag: 'path', path: 'requests[0].path' },
      { flag: 'rounds', path: 'regress.rounds' },
    ];
    const given = { warmup: '2s', path: '/b', rounds: undefined };
    expect(withFlags(doc, flags, given)).toEqual({
      name: 'x',
      traffic: { connections: 5, warmup: '2s' },
      requests: [{ path: '/b' }],
    });
    expect(doc.traffic).toEqual({ connections: 5 });
    expect(setField({}, 'a.b[1].c', 3)).toEqual({ a: { b: [undefined, { c: 3 }] } });
    const name = flagNamer(flags, given);
    expect(name('traffic.warmup')).toBe('--warmup');
    expect(name('requests[0].path')).toBe('--path');
    expect(name('regress.rounds')).toBeUndefined();
    expect(name('traffic.connections')).toBeUndefined();
  });
});
