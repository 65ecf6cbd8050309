/** A weight switch asked for ahead of its moment takes over from the first request meant for it. */
import { describe, expect, it } from 'vitest';
import { TimedPicker } from '../../../src/load/timed-picker.js';
import { WeightedPicker } from '../../../src/load/weighted-picker.js';

const only = (item: string) => new WeightedPicker([{ item, weight: 1 }]);

describe('the timed picker', () => {
  it('switches between the requests meant for either side of the time, whenever they are asked for', () => {
    const picker = new TimedPicker(only('old'));
    picker.set(only('new'), 1000);
    // Asked late (a busy loop issues a backlog at once): by intended time, not by the clock.
    expect([999, 999.9, 1000, 1001].map((at) => picker.at(at).next())).toEqual(['old', 'old', 'new', 'new']);
  });

  it('takes several switches in order, a switch whose time has passed at the next request, and one without a time at once', () => {
    const picker = new TimedPicker(only('a'));
    picker.set(only('b'), 100);
    picker.set(only('c'), 200);
    expect(picker.at(150).next()).toBe('b');
    expect(picker.at(250).next()).toBe('c');
    picker.set(only('d'), 50);
    expect(picker.at(260).next()).toBe('d');
    picker.set(only('e'), 1000);
    picker.set(only('f'));
    // The latest instruction wins: the waiting switch to "e" would undo it.
    expect([300, 2000].map((at) => picker.at(at).next())).toEqual(['f', 'f']);
  });

  it('keeps at most 64 switches waiting: the oldest takes over at once past that', () => {
    const picker = new TimedPicker(only('start'));
    for (let i = 0; i < 65; i++) picker.set(only(`s${i}`), 10_000 + i);
    expect(picker.at(0).next()).toBe('s0');
    expect(picker.at(10_064).next()).toBe('s64');
  });
});
