/**
 * Durations, rates and percentages as people write them ("500ms", "30s", "5m"; "2000/s",
 * "120/min"; "1%"), parsed into numbers. Pure. The `…OrProblem` forms return either the value or
 * the problem in words ("expected …, found …"); the `parse…` forms throw a ScenarioError that
 * prefixes the problem with the field's name.
 */
import { ScenarioError } from '../errors.js';
import { SCENARIO_LIMITS } from './limits.js';

/** A parsed value, or what was wrong with the input. */
export type Parsed = { value: number } | { problem: string };

const DURATION_UNITS_MS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/y;

/** A value as a message shows it: text quoted, numbers as written (Infinity, not JSON's null). */
export function shown(input: unknown): string {
  return typeof input === 'number' ? String(input) : (JSON.stringify(input) ?? String(input));
}

/** A duration ("250ms", "30s", "1m30s", "2h"; a bare number is milliseconds) in ms, at most `maxMs` (one day). */
export function durationOrProblem(input: string | number, maxMs: number = SCENARIO_LIMITS.maxDurationMs): Parsed {
  const parsed = anyDurationOrProblem(input);
  if ('value' in parsed && parsed.value > maxMs) {
    const most = maxMs % 3_600_000 === 0 ? `${maxMs / 3_600_000}h` : formatDurationMs(maxMs);
    return { problem: `expected a duration of at most ${most}, found ${shown(input)}` };
  }
  return parsed;
}

function anyDurationOrProblem(input: string | number): Parsed {
  const problem = {
    problem: `expected a duration like "500ms", "30s", "5m" or "1h30m", found ${shown(input)}`,
  };
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? { value: input } : problem;
  const text = input.trim();
  if (text.length === 0 || text.length > 100) return problem;
  if (/^\d+(\.\d+)?$/.test(text)) return { value: Number(text) };
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    DURATION_PART.lastIndex = pos;
    const match = DURATION_PART.exec(text);
    if (!match) return problem;
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number);
    pos = DURATION_PART.lastIndex;
  }
  return { value: total };
}

const RATE_UNITS_PER_SEC: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 1 / 60,
  min: 1 / 60,
  minute: 1 / 60,
  h: 1 / 3600,
  hour: 1 / 3600,
};

/** Highest rate any field accepts: every worker thread at its ceiling. */
const MAX_RATE = SCENARIO_LIMITS.maxRatePerWorker * SCENARIO_LIMITS.maxWorkers;

/** A rate ("2000/s", "120/min"; a bare number is per second) in requests per second, at most 12 800 000/s. */
export function rateOrProblem(input: string | number): Parsed {
  const problem = {
    problem: `expected a positive rate like "2000/s", "120/min" or 500, found ${shown(input)}`,
  };
  let rate: number;
  if (typeof input === 'number') rate = input;
  else {
    const match = input.length > 100 ? null : /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([a-z]+))?\s*$/.exec(input);
    if (!match) return problem;
    const perUnit = match[2] === undefined ? 1 : RATE_UNITS_PER_SEC[match[2]];
    if (perUnit === undefined) return problem;
    rate = Number(match[1]) * perUnit;
  }
  if (!(Number.isFinite(rate) && rate > 0)) return problem;
  if (rate > MAX_RATE) {
    return {
      problem: `expected a rate of at most ${MAX_RATE}/s (${SCENARIO_LIMITS.maxRatePerWorker}/s for each of up to ${SCENARIO_LIMITS.maxWorkers} workers), found ${shown(input)}`,
    };
  }
  return { value: rate };
}

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/** A percentage ("1%", "0.5%"; a bare number is percent, so 25 means 25 %) as a fraction. */
export function percentOrProblem(input: string | number): Parsed {
  const value = typeof input === 'number' ? input : Number(PERCENT.exec(input)?.[1] ?? Number.NaN);
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    return { problem: `expected a percentage from 0% to 100% like "1%" or 25, found ${shown(input)}` };
  }
  return { value: value / 100 };
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Largest size any field accepts: 1 TiB. */
const MAX_BYTES = 1024 ** 4;

/** A size ("256m", "1g", "512k"; a bare number is bytes; binary units, as docker reads them) in bytes. */
export function bytesOrProblem(input: string | number): Parsed {
  const problem = { problem: `expected a size like "256m", "1g" or a number of bytes, found ${shown(input)}` };
  if (typeof input === 'number')
    return Number.isInteger(input) && input > 0 && input <= MAX_BYTES ? { value: input } : problem;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmg])(?:i?b)?|b)?\s*$/i.exec(input);
  if (!match) return problem;
  const value = Math.round(Number(match[1]) * (BYTE_UNITS[(match[2] ?? '').toLowerCase()] as number));
  return value > 0 && value <= MAX_BYTES ? { value } : problem;
}

function orThrow(parsed: Parsed, field: string): number {
  if ('problem' in parsed) throw new ScenarioError(`${field}: ${parsed.problem}`, [`${field}: ${parsed.problem}`]);
  return parsed.value;
}

/** Parse a duration into milliseconds; throws a ScenarioError naming `field`. */
export function parseDurationMs(input: string | number, field = 'duration'): number {
  return orThrow(durationOrProblem(input), field);
}

/** Parse a rate into requests per second; throws a ScenarioError naming `field`. */
export function parseRatePerSec(input: string | number, field = 'rate'): number {
  return orThrow(rateOrProblem(input), field);
}

/** Parse a percentage into a fraction; throws a ScenarioError naming `field`. */
export function parsePercent(input: string | number, field = 'percentage'): number {
  return orThrow(percentOrProblem(input), field);
}

/** Format milliseconds the way people read them: "850ms", "12.5s", "3m20s". */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}

/** Format a rate the way people read it: "400/s" from 10/s up, "2.5/s" below. */
export function formatRatePerSec(ratePerSec: number): string {
  return `${Number(ratePerSec.toFixed(ratePerSec >= 10 ? 0 : 1))}/s`;
}
