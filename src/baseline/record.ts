/**
 * `baseline record`: the scenario's load against one target, each step at full load with its
 * warm-up discarded, and the steps' histograms as a baseline file labelled with a version (the
 * git commit by default).
 */
import { execFile } from 'node:child_process';
import type { ArmMeasurements } from '../arm/arm.js';
import { runLoad } from '../load/engine.js';
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

/** Record every step; undefined when the signal cut it short. */
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
    const result = await runLoad(plan, { signal: o.signal });
    if (result.aborted) return undefined;
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
