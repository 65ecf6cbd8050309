import { describe, expect, it } from 'vitest';
import { Backlog } from '../../../src/load/fifo.js';

describe('backlog ring', () => {
  it('returns requests oldest first across wrap-arounds and growth', () => {
    const q = new Backlog(1 << 16, 4);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) expect(q.push(next, next++ % 7)).toBe(true);
      for (let i = 0; i < 90; i++) {
        expect(q.headIntendedMs).toBe(expected);
        expect(q.headEndpoint).toBe(expected++ % 7);
        q.shift();
      }
    }
    expect(q.length).toBe(500);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.headIntendedMs).toBeNaN();
    expect(q.headEndpoint).toBe(-1);
  });

  it('refuses past its capacity instead of growing without bound', () => {
    const q = new Backlog(10, 2);
    for (let i = 0; i < 10; i++) expect(q.push(i, 0)).toBe(true);
    expect(q.push(10, 0)).toBe(false);
    expect(q.length).toBe(10);
    q.shift();
    expect(q.push(10, 0)).toBe(true);
    expect(q.headIntendedMs).toBe(1);
  });
});
