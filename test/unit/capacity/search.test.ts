import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advanceSearch,
  type SearchConfig,
  type SearchState,
  type StepOutcome,
  searchConfigProblems,
  startSearch,
} from '../../../src/capacity/search.js';

const config = (over: Partial<SearchConfig> = {}): SearchConfig => ({
  startPerSec: 100,
  maxPerSec: 50_000,
  factor: 2,
  precision: 0.05,
  maxSteps: 30,
  ...over,
});

/** Run a search against a simulated service: rates at or below `capacity` pass. */
function simulate(c: SearchConfig, outcomeAt: (rate: number) => StepOutcome): { state: SearchState; rates: number[] } {
  let state = startSearch(c);
  const rates: number[] = [];
  while (state.nextPerSec !== undefined) {
    rates.push(state.nextPerSec);
    state = advanceSearch(state, outcomeAt(state.nextPerSec));
  }
  return { state, rates };
}

const service =
  (capacity: number) =>
  (rate: number): StepOutcome =>
    rate <= capacity ? 'pass' : 'fail';

describe('capacity search', () => {
  it('ramps geometrically, then bisects to within the precision of a known capacity', () => {
    const { state, rates } = simulate(config(), service(1000));
    expect(rates.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(state.verdict).toBe('found');
    const pass = state.highestPassPerSec as number;
    const fail = state.lowestFailPerSec as number;
    expect(pass).toBeLessThanOrEqual(1000);
    expect(fail).toBeGreaterThan(1000);
    expect((fail - pass) / pass).toBeLessThanOrEqual(0.05);
    expect(rates.length).toBeLessThan(12);
  });

  it('finds any capacity between start and max to within the precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 49_999 }), fc.constantFrom(0.01, 0.05, 0.1), (capacity, precision) => {
        const { state } = simulate(config({ precision }), service(capacity));
        const pass = state.highestPassPerSec as number;
        const fail = state.lowestFailPerSec as number;
        return (
          state.verdict === 'found' &&
          pass <= capacity &&
          fail > capacity &&
          (fail - pass) / pass <= precision + 1 / pass
        );
      }),
    );
  });

  it('stops at max when every rate passes, and says so', () => {
    const { state, rates } = simulate(config({ maxPerSec: 1000 }), () => 'pass');
    expect(rates).toEqual([100, 200, 400, 800, 1000]);
    expect(state).toMatchObject({ verdict: 'max-reached', highestPassPerSec: 1000, lowestFailPerSec: undefined });
  });

  it('stops at once when the SLO fails at the start rate', () => {
    const { state, rates } = simulate(config(), () => 'fail');
    expect(rates).toEqual([100]);
    expect(state).toMatchObject({ verdict: 'slo-fails-at-start', highestPassPerSec: undefined, lowestFailPerSec: 100 });
  });

  it('stops with generator-limited as soon as the generator falls behind, keeping what passed', () => {
    const { state, rates } = simulate(config(), (rate) => (rate >= 800 ? 'generator-limited' : 'pass'));
    expect(rates).toEqual([100, 200, 400, 800]);
    expect(state).toMatchObject({ verdict: 'generator-limited', highestPassPerSec: 400, lowestFailPerSec: undefined });
  });

  it('ends within maxSteps', () => {
    const { state, rates } = simulate(config({ maxSteps: 6, precision: 0.001 }), service(777));
    expect(rates).toHaveLength(6);
    expect(state.verdict).toBe('step-limit');
  });

  it('refuses to advance once done', () => {
    const { state } = simulate(config(), () => 'fail');
    expect(() => advanceSearch(state, 'pass')).toThrow(/already done/);
  });

  it('names every bad field of a configuration', () => {
    expect(searchConfigProblems(config({ startPerSec: 0, maxPerSec: -1, factor: 1, precision: 1.5 }))).toEqual([
      'start: expected a positive rate, found 0',
      'max: expected a rate at least start (0/s), found -1',
      'factor: expected more than 1, found 1',
      'precision: expected a percentage above 0% and below 100%, found 150%',
    ]);
    expect(() => startSearch(config({ startPerSec: 0 }))).toThrow(RangeError);
  });
});
