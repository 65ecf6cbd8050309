/**
 * Reading a result.json back (`compare`, baselines from results): as strictly as a scenario. A
 * result comes from outside like any input: a schemaVersion this build does not write, a negative
 * count, more errors than requests or a weight that is not a number is a problem named by its
 * field, never a crash in the statistics downstream. Fields this build does not read (the
 * verdicts, intervals, a regress summary) are kept as they are. Pure.
 */
import { z } from 'zod';
import { CanaryGateError } from '../errors.js';
import { MAX_ENCODED_CHARS } from '../hdr/limits.js';
import { validateSection } from '../scenario/loader.js';
import { RUN_RESULT_SCHEMA_VERSION, type RunResult } from './run-result.js';

/** Most steps a result (or baseline) file may hold. */
export const MAX_FILE_STEPS = 100;
/** Most endpoints an arm of a stored file may hold. */
export const MAX_FILE_ENDPOINTS = 1000;

/** A result file that cannot be used: exit 2, naming the file and the field. */
export class ResultFormatError extends CanaryGateError {
  constructor(message: string) {
    super('E_BASELINE_FORMAT', message, { hint: 'pass the result.json a canary-gate run wrote' });
  }
}

const count = () => z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A record of at most `max` keys: a record's size is bounded like a list's. */
export const boundedRecord = <V extends z.ZodType>(value: V, max: number) =>
  z.record(z.string().max(1000), value).refine((r) => Object.keys(r).length <= max, {
    message: `expected at most ${max} entries`,
  });

/**
 * Errors never exceed requests, nor 429s errors: the statistics downstream (Fisher's test, log
 * factorials) are not defined otherwise. Shared with the baseline format.
 */
export function consistentCounts(
  c: { requests: number; errors: number; throttled?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if (c.errors > c.requests) {
    ctx.addIssue({
      code: 'custom',
      path: ['errors'],
      message: `expected at most requests (${c.requests}), found ${c.errors}`,
    });
  }
  if ((c.throttled ?? 0) > c.errors) {
    ctx.addIssue({
      code: 'custom',
      path: ['throttled'],
      message: `expected at most errors (${c.errors}), found ${c.throttled}`,
    });
  }
}

const countFields = {
  requests: count(),
  errors: count(),
  throttled: count().optional(),
  histogram: z.string().min(1).max(MAX_ENCODED_CHARS),
};

const StoredArmSchema = z
  .looseObject({
    ...countFields,
    url: z.string().max(10_000).optional(),
    endpoints: boundedRecord(z.looseObject(countFields).superRefine(consistentCounts), MAX_FILE_ENDPOINTS).optional(),
  })
  .superRefine(consistentCounts);

/** The machine fingerprint as results and baselines store it. */
export const machineFields = {
  hostname: z.string().max(1000),
  cpus: z.number().int().nonnegative(),
  cpuModel: z.string().max(1000),
  node: z.string().max(100),
};

/** The parts of a result file that readers use, each checked; the rest passes through. */
export const RunResultFileSchema = z.looseObject({
  schemaVersion: z.literal(RUN_RESULT_SCHEMA_VERSION),
  run: z.string().max(1000),
  scenario: z.looseObject({ name: z.string().max(10_000), file: z.string().max(10_000), digest: z.string().max(200) }),
  machine: z.looseObject(machineFields),
  steps: z
    .array(
      z.looseObject({
        index: z.number().int().nonnegative(),
        weight: z.number().min(0).max(100),
        durationMs: z.number().nonnegative().max(Number.MAX_SAFE_INTEGER),
        arms: boundedRecord(StoredArmSchema, 10),
      }),
    )
    .max(MAX_FILE_STEPS),
  decision: z.enum(['promote', 'rollback', 'aborted', 'interrupted']),
  exitCode: z.number().int(),
});

/** Decode a result file's text; every problem is a ResultFormatError naming the file and the field. */
export function decodeRunResult(text: string, file: string): RunResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ResultFormatError(
      `${file}: ${text.trim() === '' ? 'the file is empty' : `not JSON (${(error as Error).message})`}`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json) || !('schemaVersion' in json)) {
    throw new ResultFormatError(`${file}: not a canary-gate result (no schemaVersion)`);
  }
  const checked = validateSection(RunResultFileSchema, json);
  if ('problems' in checked) {
    const p = checked.problems;
    throw new ResultFormatError(
      `${file}: ${p.slice(0, 5).join('; ')}${p.length > 5 ? ` (+${p.length - 5} more)` : ''}`,
    );
  }
  return checked.value as unknown as RunResult;
}
