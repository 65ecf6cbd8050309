/**
 * zod types for the values people write in scenarios: durations ("30s"), rates ("2000/s") and
 * percentages ("1%"). Each accepts a string or a number, turns it into a plain number, and
 * explains itself in the JSON Schema. Pure.
 */
import { z } from 'zod';
import { bytesOrProblem, durationOrProblem, type Parsed, percentOrProblem, rateOrProblem } from './units.js';

/** How a parsed value is written back for people (a default in --help, for instance). */
export type ValueFormat = 'duration' | 'rate' | 'percent' | 'bytes';

/**
 * Each value field's format, kept apart from its metadata: zod copies metadata into the JSON
 * Schema, where `format` is a keyword with meanings of its own.
 */
export const VALUE_FORMATS = z.registry<{ format: ValueFormat }>();

function parsed(
  parse: (input: string | number) => Parsed,
  format: ValueFormat,
  description: string,
  examples: (string | number)[],
) {
  return z
    .union([z.string(), z.number()])
    .transform((input, ctx) => {
      const result = parse(input);
      if ('value' in result) return result.value;
      ctx.addIssue({ code: 'custom', message: result.problem, input });
      return z.NEVER;
    })
    .meta({ description, examples })
    .register(VALUE_FORMATS, { format });
}

/** A duration field: "500ms", "30s", "5m", "1h30m", or milliseconds. Output: ms. */
export function duration(description: string) {
  return parsed(durationOrProblem, 'duration', description, ['500ms', '30s', '5m']);
}

/** A rate field: "2000/s", "120/min", or per second. Output: requests per second. */
export function rate(description: string) {
  return parsed(rateOrProblem, 'rate', description, ['2000/s', '120/min']);
}

/** A percentage field: "1%", "0.5%", or percent (25 means 25 %). Output: a fraction. */
export function percent(description: string) {
  return parsed(percentOrProblem, 'percent', description, ['1%', '0.5%']);
}

/** A size field: "256m", "1g", or bytes. Output: bytes. */
export function bytes(description: string) {
  return parsed(bytesOrProblem, 'bytes', description, ['256m', '1g']);
}
