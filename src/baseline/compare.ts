/**
 * `compare`: a finished run's canary arm, step by step, judged against a stored baseline with the
 * same judge as `run` (one look per step at the whole step, the run's false-rollback budget split
 * over its steps). Pure: the caller reads both files.
 */
import { decodeArm, judgeArm, StoredArmError } from '../arm/arm.js';
import { judgeStep } from '../gates/judge.js';
import type { StepVerdict } from '../gates/verdict.js';
import type { RunResult } from '../result/run-result.js';
import type { Gates } from '../scenario/checks.js';
import { baselineWarnings, storedMeasurements } from './build.js';
import { type Baseline, BaselineFormatError } from './format.js';

/** The verdict on each step that had a canary arm, and whether any regressed. */
export interface Comparison {
  regression: boolean;
  warnings: string[];
  steps: { step: number; weight: number; verdict: StepVerdict }[];
}

/** Judge `result` (read from `resultFile`) against `baseline` with `gates`; vsBaseline checks are left out. */
export function compareWithBaseline(
  baseline: Baseline,
  result: RunResult,
  resultFile: string,
  gates: Gates,
): Comparison {
  const checks = gates.checks.filter((c) => !c.vsBaseline);
  const warnings = baselineWarnings(baseline, result.scenario?.digest ?? '', result.machine);
  const steps: Comparison['steps'] = [];
  for (const [index, step] of result.steps.entries()) {
    const arm = step.arms.canary;
    const stored = storedMeasurements(baseline, index);
    if (!arm || !stored) continue;
    let canary: ReturnType<typeof decodeArm>;
    try {
      canary = decodeArm(arm, 'canary', `steps.${index}.arms.canary`);
    } catch (error) {
      if (error instanceof StoredArmError) throw new BaselineFormatError(`${resultFile}: ${error.message}`);
      throw error;
    }
    const verdict = judgeStep({
      canary: judgeArm(canary, step.durationMs),
      stored,
      checks,
      statistics: gates.statistics,
      weights: gates.weights,
      passScore: gates.passScore,
      alpha: gates.statistics.alpha / Math.max(1, result.steps.length),
      mayPass: true,
      finalLook: true,
    });
    steps.push({ step: index, weight: step.weight, verdict });
  }
  return { regression: steps.some((s) => s.verdict.decision === 'rollback'), warnings, steps };
}
