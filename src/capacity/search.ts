/**
 * The capacity search as a pure state machine: given how the last rate went, the next rate to
 * try, or done. It ramps geometrically from `start` until the SLO breaks (or `max` passes), then
 * bisects the bracket [highest passing rate, lowest failing rate] until it is narrower than
 * `precision` relative to its lower end. A step the generator could not keep stops the search:
 * beyond that rate the figures describe the generator, not the service.
 */

/** How the search is run. */
export interface SearchConfig {
  /** First rate tried, requests/s. */
  startPerSec: number;
  /** Highest rate tried, requests/s. */
  maxPerSec: number;
  /** Growth per ramp step (2 doubles the rate). */
  factor: number;
  /** Stop bisecting once (fail − pass) / pass is at most this. */
  precision: number;
  /** Hard bound on steps, so a search always ends. */
  maxSteps: number;
}

/** Search defaults for fields a caller leaves out. */
export const SEARCH_DEFAULTS = { factor: 2, precision: 0.05, maxSteps: 30 } as const;

/** How one step went. */
export type StepOutcome = 'pass' | 'fail' | 'generator-limited';

/** Why the search ended. */
export type SearchVerdict =
  /** The bracket is narrower than the precision: capacity found. */
  | 'found'
  /** Every rate up to `max` passed: capacity is at least `max`. */
  | 'max-reached'
  /** The SLO failed at the first rate: no compliant rate was seen. */
  | 'slo-fails-at-start'
  /** The generator could not keep a step's schedule; the service's limit is not measured. */
  | 'generator-limited'
  /** `maxSteps` ran out before the bracket was narrow enough. */
  | 'step-limit';

/** Where the search stands. */
export interface SearchState {
  /** The configuration it runs with. */
  config: SearchConfig;
  /** Geometric ramp, then bisection; done once a verdict is reached. */
  phase: 'ramp' | 'bisect' | 'done';
  /** Rate of the next step (undefined once done). */
  nextPerSec: number | undefined;
  /** Highest rate that passed so far. */
  highestPassPerSec: number | undefined;
  /** Lowest rate that failed so far. */
  lowestFailPerSec: number | undefined;
  /** Steps taken. */
  steps: number;
  /** Set when done. */
  verdict: SearchVerdict | undefined;
}

/** Problems with a configuration, each naming its field; empty when valid. */
export function searchConfigProblems(c: SearchConfig): string[] {
  const problems: string[] = [];
  if (!(c.startPerSec > 0 && Number.isFinite(c.startPerSec)))
    problems.push(`start: expected a positive rate, found ${c.startPerSec}`);
  if (!(c.maxPerSec >= c.startPerSec && Number.isFinite(c.maxPerSec)))
    problems.push(`max: expected a rate at least start (${c.startPerSec}/s), found ${c.maxPerSec}`);
  if (!(c.factor > 1)) problems.push(`factor: expected more than 1, found ${c.factor}`);
  if (!(c.precision > 0 && c.precision < 1))
    problems.push(`precision: expected a percentage above 0% and below 100%, found ${c.precision * 100}%`);
  if (!(Number.isInteger(c.maxSteps) && c.maxSteps >= 1))
    problems.push(`maxSteps: expected an integer >= 1, found ${c.maxSteps}`);
  return problems;
}

/** The state before any step: the next rate is `start`. */
export function startSearch(config: SearchConfig): SearchState {
  const problems = searchConfigProblems(config);
  if (problems.length > 0) throw new RangeError(`invalid capacity search: ${problems.join('; ')}`);
  return {
    config,
    phase: 'ramp',
    nextPerSec: roundRate(config.startPerSec),
    highestPassPerSec: undefined,
    lowestFailPerSec: undefined,
    steps: 0,
    verdict: undefined,
  };
}

/** Rates are whole requests per second above 10/s; below that a tenth is kept. */
function roundRate(ratePerSec: number): number {
  return ratePerSec >= 10 ? Math.round(ratePerSec) : Math.max(0.1, Math.round(ratePerSec * 10) / 10);
}

/** True when the bracket is narrow enough to stop. */
export function bracketIsNarrow(passPerSec: number, failPerSec: number, precision: number): boolean {
  return (failPerSec - passPerSec) / passPerSec <= precision;
}

/** The state after the step at `state.nextPerSec` ended with `outcome`. */
export function advanceSearch(state: SearchState, outcome: StepOutcome): SearchState {
  const rate = state.nextPerSec;
  if (state.phase === 'done' || rate === undefined) throw new RangeError('the capacity search is already done');
  const c = state.config;
  const s: SearchState = { ...state, steps: state.steps + 1 };
  const finish = (verdict: SearchVerdict): SearchState => ({ ...s, phase: 'done', nextPerSec: undefined, verdict });

  if (outcome === 'generator-limited') return finish('generator-limited');
  if (outcome === 'pass') s.highestPassPerSec = Math.max(rate, s.highestPassPerSec ?? 0);
  else s.lowestFailPerSec = Math.min(rate, s.lowestFailPerSec ?? Number.POSITIVE_INFINITY);

  const pass = s.highestPassPerSec;
  const fail = s.lowestFailPerSec;
  if (pass === undefined) return finish('slo-fails-at-start');
  if (fail === undefined) {
    if (pass >= c.maxPerSec) return finish('max-reached');
    if (s.steps >= c.maxSteps) return finish('step-limit');
    return { ...s, phase: 'ramp', nextPerSec: roundRate(Math.min(pass * c.factor, c.maxPerSec)) };
  }
  if (bracketIsNarrow(pass, fail, c.precision)) return finish('found');
  if (s.steps >= c.maxSteps) return finish('step-limit');
  const mid = roundRate((pass + fail) / 2);
  // Rounding can land on an end of a bracket already one unit wide: nothing left to learn.
  if (mid <= pass || mid >= fail) return finish('found');
  return { ...s, phase: 'bisect', nextPerSec: mid };
}
