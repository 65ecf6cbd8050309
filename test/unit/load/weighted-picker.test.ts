import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WeightedPicker } from '../../../src/load/weighted-picker.js';

describe('weighted picker', () => {
  it('gives each item exactly its share over every window of sum(weights) picks', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }), (weights) => {
        const picker = new WeightedPicker(weights.map((weight, item) => ({ item, weight })));
        const total = weights.reduce((a, b) => a + b, 0);
        const counts = new Array(weights.length).fill(0);
        for (let i = 0; i < total * 3; i++) counts[picker.next()]++;
        return counts.every((count, i) => count === (weights[i] ?? 0) * 3);
      }),
    );
  });

  it('interleaves rather than bursting (nginx smooth weighted round-robin)', () => {
    const picker = new WeightedPicker([
      { item: 'a', weight: 5 },
      { item: 'b', weight: 1 },
      { item: 'c', weight: 1 },
    ]);
    expect(Array.from({ length: 7 }, () => picker.next()).join('')).toBe('aabacaa');
  });

  it('skips zero weights and refuses all-zero', () => {
    const picker = new WeightedPicker([
      { item: 'a', weight: 0 },
      { item: 'b', weight: 2 },
    ]);
    expect(new Set(Array.from({ length: 10 }, () => picker.next()))).toEqual(new Set(['b']));
    expect(() => new WeightedPicker([{ item: 'a', weight: 0 }])).toThrow(RangeError);
  });
});
