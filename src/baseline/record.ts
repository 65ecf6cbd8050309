/**
 * `baseline record`: the scenario's load against one target, each step at full load with its
 * warm-up discarded, and the steps' histograms as a baseline file labelled with a version (the
 * git commit by default).
 */
import { execFile } from 'node:child_process';
import type { ArmMeasurements } from '../arm/arm.js';
import { GeneratorLimitError } from '../errors.js';
import { type LoadResult, runLoad } from '../load/engine.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import { machineFingerprint } from '../result/run-result.js';
import type { RunScenario } from '../scenario/schema.js';
import { buildBaseline } from './build.js';
import type { BaselineFile } from './format.js';

/** What to record. */
export interface RecordOptions {
  scenario: RunScenario;
  digest: string;
  /** Which target: its arm name in the scenario. */
  target: 'baseline' | 'canary';
  /** Version label; default: the git commit's first 12 characters, when in a git checkout. */
  label?: string;
  /** Stops recording; nothing is written. */
  signal: AbortSignal;
  /** Before each step. */
  onStep?: (index: number, of: number, ms: number) => void;
  /** When a step's load was the generator's own queue and the step is measured once more. */
  onRetry?: (index: number, why: string) => void;
}

/** One recorded step. */
export interface RecordedStep {
  weight: number;
  durationMs: number;
  arm: ArmMeasurements;
}

function gitSha(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { timeout: 5000 }, (error, stdout) =>
      resolve(error ? undefined : stdout.trim()),
    );
  });
}

/** Why a load's latency was the generator's, in one line. */
function limitReasons(result: LoadResult): string {
  return result.generator.reasons.map((r) => r.text).join('; ');
}

/** What to change in the scenario so that the generator keeps up. */
function limitHint(result: LoadResult): string {
  if (result.generator.reasons.some((r) => r.code === 'connection-cap'))
    return 'raise traffic.connections so that the rate fits at this service time';
  const workers = Math.max(2, result.generator.workers * 2);
  return `set traffic.workers: ${workers} (with traffic.connections to match) or lower traffic.rate`;
}

/**
 * Record every step; undefined when the signal cut it short. A step whose latency was the
 * generator's own queue (load/generator-limit.ts) is measured once more, as capacity retries such a
 * rate (a neighbour's burst passes); twice is a GeneratorLimitError and nothing is recorded: a
 * stored baseline of the generator's queue would raise the bar every later run is compared with.
 */
export async function recordBaseline(
  o: RecordOptions,
): Promise<{ file: BaselineFile; steps: RecordedStep[] } | undefined> {
  const s = o.scenario;
  const target = s.targets[o.target];
  if (!target) throw new Error(`targets.${o.target} is not set`);
  const t = s.traffic;
  const steps: RecordedStep[] = [];
  for (const [index, weight] of s.steps.entries()) {
    o.onStep?.(index, s.steps.length, t.warmup + t.stepDuration);
    const plan = scenarioLoadPlan(s, [{ arm: o.target, url: target.url, weight: 1 }], t.stepDuration, t.warmup);
    let result = await runLoad(plan, { signal: o.signal });
    if (result.aborted) return undefined;
    if (result.generator.limited) {
      o.onRetry?.(index, result.generator.reasons[0]?.text ?? 'its own queue');
      result = await runLoad(plan, { signal: o.signal });
      if (result.aborted) return undefined;
      if (result.generator.limited) {
        throw new GeneratorLimitError(
          `step ${index + 1} of ${s.steps.length}: the generator, not the service, was the limit twice (${limitReasons(result)}); no baseline written: its latency would be the generator's queue, not the ${o.target} target's`,
          { hint: limitHint(result) },
        );
      }
    }
    const arm = result.arms[0];
    if (arm) steps.push({ weight, durationMs: result.sendWindowMs, arm });
  }
  const sha = await gitSha();
  const file = buildBaseline(
    {
      label: { version: o.label ?? sha?.slice(0, 12) ?? 'unlabelled', ...(sha ? { gitSha: sha } : {}) },
      recordedAt: new Date().toISOString(),
      scenario: { name: s.name, digest: o.digest },
      machine: machineFingerprint(),
    },
    steps,
  );
  return { file, steps };
}
