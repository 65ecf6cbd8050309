/**
 * The baseline file: a recorded run's per-step histograms and counters with a label, the
 * scenario digest and the machine fingerprint. Versioned JSON; histograms in HdrHistogram's
 * compressed base64 (µs). Decoding checks everything and throws BaselineFormatError naming the
 * file and the field — never a crash, never a silent pass. Pure.
 */
import { z } from 'zod';
import { type ArmMeasurements, decodeArm, StoredArmError } from '../arm/arm.js';
import { CanaryGateError } from '../errors.js';

/** Version of the baseline format this build writes and reads. */
export const BASELINE_SCHEMA_VERSION = 1;

/** A baseline file that cannot be used. */
export class BaselineFormatError extends CanaryGateError {
  constructor(message: string) {
    super('E_BASELINE_FORMAT', message, { hint: 'record it again with canary-gate baseline record' });
  }
}

const counts = z.strictObject({
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  throttled: z.number().int().nonnegative(),
  histogram: z.string().min(1),
});

/** The file's shape. */
export const BaselineFileSchema = z.strictObject({
  kind: z.literal('canary-gate-baseline'),
  schemaVersion: z.literal(BASELINE_SCHEMA_VERSION),
  label: z.strictObject({ version: z.string(), gitSha: z.string().optional() }),
  recordedAt: z.string(),
  scenario: z.strictObject({ name: z.string(), digest: z.string() }),
  machine: z.strictObject({ hostname: z.string(), cpus: z.number(), cpuModel: z.string(), node: z.string() }),
  steps: z
    .array(
      counts.extend({
        weight: z.number().min(0).max(100),
        durationMs: z.number().nonnegative(),
        endpoints: z.record(z.string(), counts),
      }),
    )
    .min(1),
});

/** A baseline file as written. */
export type BaselineFile = z.infer<typeof BaselineFileSchema>;

/** One decoded step: the recorded arm's counts and histograms, and how long it was measured. */
export interface BaselineStep {
  weight: number;
  durationMs: number;
  arm: ArmMeasurements;
}

/** A decoded baseline. */
export interface Baseline {
  file: BaselineFile;
  steps: BaselineStep[];
}

/** Decode a baseline file's text; every problem is a BaselineFormatError naming file and field. */
export function decodeBaseline(text: string, file: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const truncated =
      text.trim().length === 0 ? 'the file is empty' : `not JSON (${(error as Error).message}); truncated?`;
    throw new BaselineFormatError(`${file}: ${truncated}`);
  }
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (kind !== 'canary-gate-baseline') {
    throw new BaselineFormatError(`${file}: not a canary-gate baseline (kind ${JSON.stringify(kind)})`);
  }
  const version = (json as { schemaVersion?: unknown }).schemaVersion;
  if (version !== BASELINE_SCHEMA_VERSION) {
    throw new BaselineFormatError(
      `${file}: baseline format version ${JSON.stringify(version)}; this canary-gate reads version ${BASELINE_SCHEMA_VERSION}`,
    );
  }
  const parsed = BaselineFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new BaselineFormatError(
      `${file}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`,
    );
  }
  const steps = parsed.data.steps.map((step, i) => {
    let arm: ArmMeasurements;
    try {
      arm = decodeArm(step, 'baseline', `steps.${i}`);
    } catch (error) {
      if (error instanceof StoredArmError) throw new BaselineFormatError(`${file}: ${error.message}`);
      throw error;
    }
    if (arm.latency.totalCount > step.requests) {
      throw new BaselineFormatError(
        `${file}: steps.${i}: histogram holds ${arm.latency.totalCount} values for ${step.requests} requests`,
      );
    }
    return { weight: step.weight, durationMs: step.durationMs, arm };
  });
  return { file: parsed.data, steps };
}

/** The stored step to compare step `index` with: the same index, or the only one there is. */
export function storedStepFor(baseline: Baseline, index: number): BaselineStep | undefined {
  return baseline.steps[index] ?? (baseline.steps.length === 1 ? baseline.steps[0] : undefined);
}
