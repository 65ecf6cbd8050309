/**
 * Durations and rates as people write them ("500ms", "30s", "5m"; "2000/s", "120/min"), parsed
 * into numbers. Pure: each parser returns a value or throws a ScenarioError naming the input.
 */
import { ScenarioError } from '../errors.js';

const DURATION_UNITS_MS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/y;

/**
 * Parse a duration ("250ms", "30s", "1m30s", "2h") into milliseconds. A bare number is taken as
 * milliseconds. `field` names the input in the error message.
 */
export function parseDurationMs(input: string | number, field = 'duration'): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input;
    throw new ScenarioError(`${field}: expected a duration like "30s", found ${input}`);
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let pos = 0;
  DURATION_PART.lastIndex = 0;
  while (pos < text.length) {
    DURATION_PART.lastIndex = pos;
    const match = DURATION_PART.exec(text);
    if (!match) {
      throw new ScenarioError(`${field}: expected a duration like "500ms", "30s", "5m" or "1h30m", found "${input}"`);
    }
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number);
    pos = DURATION_PART.lastIndex;
  }
  if (text.length === 0) {
    throw new ScenarioError(`${field}: expected a duration like "30s", found an empty string`);
  }
  return total;
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

/** Parse a rate ("2000/s", "120/min", "500") into requests per second. A bare number is per second. */
export function parseRatePerSec(input: string | number, field = 'rate'): number {
  const fail = (): never => {
    throw new ScenarioError(
      `${field}: expected a positive rate like "2000/s", "120/min" or 500, found ${JSON.stringify(input)}`,
    );
  };
  if (typeof input === 'number') return Number.isFinite(input) && input > 0 ? input : fail();
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([a-z]+))?\s*$/.exec(input);
  if (!match) return fail();
  const perUnit = match[2] === undefined ? 1 : RATE_UNITS_PER_SEC[match[2]];
  if (perUnit === undefined) return fail();
  const rate = Number(match[1]) * perUnit;
  return rate > 0 ? rate : fail();
}

/** Format milliseconds the way people read them: "850ms", "12.5s", "3m20s". */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}
