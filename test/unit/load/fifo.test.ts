import { describe, expect, it } from 'vitest';
import { Fifo } from '../../../src/load/fifo.js';

describe('fifo', () => {
  it('returns items in order across compactions', () => {
    const q = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) q.push(next++);
      for (let i = 0; i < 90; i++) expect(q.shift()).toBe(expected++);
    }
    expect(q.length).toBe(500);
    expect(q.shift()).toBe(expected);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });
});
