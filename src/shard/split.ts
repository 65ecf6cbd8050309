/**
 * How a load plan is split over N shards, and the plan file every shard reads. Pure.
 *
 * Shard i of N takes the intended send times i, i+N, i+2N, … of the planned schedule: its rate is
 * rate/N and its schedule starts i slots (1/rate) after the common start, so the shards' schedules
 * interleave into the planned one instead of N bursts at the same instants. Connections and the
 * request cap are divided so the parts add up exactly to the whole. Every shard reads the same
 * file (one ConfigMap for a Kubernetes Job) and takes its own slice by its index.
 */
import { z } from 'zod';
import { ScenarioError, UsageError } from '../errors.js';
import { ENGINE_LIMITS, type LoadPlan, planProblems } from '../load/plan.js';
import { type ScenarioLoad, scenarioLoadPlan } from '../load/scenario-plan.js';
import { SHARD_LIMITS, SHARD_PROTOCOL_VERSION } from './protocol.js';

const L = ENGINE_LIMITS;
const name = z.string().max(SHARD_LIMITS.maxNameChars);

/** A LoadPlan as JSON, bounded everywhere; the engine's planProblems does the rest. */
export const LoadPlanSchema = z.strictObject({
  targets: z.array(z.strictObject({ arm: name, url: name, weight: z.number().finite() })).max(L.maxTargets),
  mix: z
    .array(
      z.strictObject({
        name: name.optional(),
        method: z.string().max(32),
        path: z.string().max(8192),
        headers: z
          .record(z.string().max(256), z.string().max(8192))
          .refine((h) => Object.keys(h).length <= 100, { message: 'expected at most 100 headers' })
          .optional(),
        body: z.string().max(L.maxBodyBytes).optional(),
        weight: z.number().finite(),
      }),
    )
    .max(L.maxMixEntries),
  ratePerSec: z.number().finite().optional(),
  durationMs: z.number().finite(),
  warmupMs: z.number().finite().optional(),
  connections: z.number().int(),
  pipelining: z.number().int(),
  workers: z.number().int(),
  timeoutMs: z.number().finite(),
  maxRequests: z.number().int().optional(),
  tracing: z.strictObject({ sample: z.number().finite(), slowest: z.number().int() }).optional(),
});

/** What every shard of a run reads: the whole plan and how many shards share it. */
export const ShardPlanFileSchema = z.strictObject({
  /** The protocol version the coordinator speaks. */
  v: z.literal(SHARD_PROTOCOL_VERSION),
  /** How many shards share the plan. */
  shards: z.number().int().min(1).max(SHARD_LIMITS.maxShards),
  /** When every shard starts its schedule (ms since the epoch); absent: at once. */
  startAtEpochMs: z.number().int().nonnegative().optional(),
  /**
   * The shards wait for the coordinator's start command on their control channel instead of
   * starting at `startAtEpochMs` on their own (which is then only the planned start).
   */
  startOnCommand: z.boolean().optional(),
  /** The whole plan, as one process would run it. */
  plan: LoadPlanSchema,
  /**
   * Environment variables the shard substitutes for `${env:NAME}` in header values: a plan that
   * `shard-job` printed carries references, never the secrets (the pod's env holds them).
   */
  env: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .max(256),
    )
    .max(100)
    .optional(),
});

/** The plan file. */
export type ShardPlanFile = z.infer<typeof ShardPlanFileSchema>;

/** Largest plan file a shard reads, bytes (a body at the engine's bound, and room for the rest). */
export const MAX_PLAN_FILE_BYTES = L.maxBodyBytes * 2;

/** Read a plan file's text; throws ScenarioError naming `source` and the field. */
export function parsePlanFile(text: string, source: string): ShardPlanFile {
  if (Buffer.byteLength(text) > MAX_PLAN_FILE_BYTES)
    throw new ScenarioError(`${source}: expected at most ${MAX_PLAN_FILE_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${source}: expected JSON (${(error as Error).message})`);
  }
  const parsed = ShardPlanFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new ScenarioError(`${source}: invalid shard plan:\n  - ${problems.join('\n  - ')}`, problems);
  }
  const problems = [...planProblems(parsed.data.plan), ...splitProblems(parsed.data.plan, parsed.data.shards)];
  if (problems.length > 0)
    throw new ScenarioError(
      `${source}: invalid shard plan:\n  - ${problems.map((p) => `plan.${p}`).join('\n  - ')}`,
      problems,
    );
  return parsed.data;
}

/** Every reason `plan` cannot be split over `shards` (each shard needs a connection and a request). */
export function splitProblems(plan: LoadPlan, shards: number): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(shards) || shards < 1 || shards > SHARD_LIMITS.maxShards)
    problems.push(`shards: expected an integer from 1 to ${SHARD_LIMITS.maxShards}, found ${shards}`);
  else {
    if (plan.connections < shards * plan.workers)
      problems.push(
        `connections: expected at least one per worker thread of each shard (${shards} × ${plan.workers}), found ${plan.connections}`,
      );
    if (plan.maxRequests !== undefined && plan.maxRequests < shards)
      problems.push(`maxRequests: expected at least one per shard (${shards}), found ${plan.maxRequests}`);
  }
  return problems;
}

/**
 * A scenario's traffic and requests as a plan for `shards` shards, on the targets and for the
 * duration and warm-up of the flags' plan, at its rate only when a rate flag was given. Throws a
 * UsageError naming `file` with every reason the plan cannot run or be split.
 */
export function scenarioShardPlan(
  scenario: ScenarioLoad,
  flags: LoadPlan,
  o: { shards: number; rateGiven: boolean; file: string },
): LoadPlan {
  const plan = scenarioLoadPlan(scenario, flags.targets, flags.durationMs, flags.warmupMs ?? 0);
  if (o.rateGiven && flags.ratePerSec !== undefined) plan.ratePerSec = flags.ratePerSec;
  const problems = [...planProblems(plan), ...splitProblems(plan, o.shards)];
  if (problems.length > 0)
    throw new UsageError(`${o.file}: cannot run as ${o.shards} shards:\n  - ${problems.join('\n  - ')}`);
  return plan;
}

/** Shard `index`'s part of `total`: the count of k in [0, total) with k ≡ index (mod count). */
function part(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/** Shard `index` of `count`: its plan and how long after the common start its schedule begins. */
export interface ShardSlice {
  /** The plan this shard runs. */
  plan: LoadPlan;
  /** Its schedule's offset from the common start: `index` slots of the whole plan, ms. */
  phaseOffsetMs: number;
}

/** The slice of `plan` that shard `index` of `count` runs; throws ScenarioError when it cannot be split. */
export function shardSlice(plan: LoadPlan, index: number, count: number): ShardSlice {
  const problems = splitProblems(plan, count);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    problems.push(`index: expected an integer from 0 to ${count - 1}, found ${index}`);
  if (problems.length > 0) throw new ScenarioError(`cannot split the plan:\n  - ${problems.join('\n  - ')}`, problems);
  const slice: LoadPlan = { ...plan, connections: part(plan.connections, index, count) };
  if (plan.ratePerSec !== undefined) slice.ratePerSec = plan.ratePerSec / count;
  if (plan.maxRequests !== undefined) slice.maxRequests = part(plan.maxRequests, index, count);
  const phaseOffsetMs = plan.ratePerSec === undefined ? 0 : (index * 1000) / plan.ratePerSec;
  return { plan: slice, phaseOffsetMs };
}
