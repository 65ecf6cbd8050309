/** Builds a baseline file from measured steps (pure), and stored-step measurements for the judge. */
import { type ArmMeasurements, type ArmStepMeasurements, encodeArm, judgeArm } from '../arm/arm.js';
import { BASELINE_SCHEMA_VERSION, type Baseline, type BaselineFile, storedStepFor } from './format.js';

/** What a baseline records besides the steps. */
export interface BaselineHeader {
  label: { version: string; gitSha?: string };
  recordedAt: string;
  scenario: { name: string; digest: string };
  machine: BaselineFile['machine'];
}

/** A baseline file from one arm's measurements per step. */
export function buildBaseline(
  header: BaselineHeader,
  steps: { weight: number; durationMs: number; arm: ArmMeasurements }[],
): BaselineFile {
  return {
    kind: 'canary-gate-baseline',
    schemaVersion: BASELINE_SCHEMA_VERSION,
    ...header,
    steps: steps.map(({ weight, durationMs, arm }) => {
      const { requests, errors, throttled, histogram, endpoints } = encodeArm(arm);
      return { weight, durationMs: Math.round(durationMs), requests, errors, throttled, histogram, endpoints };
    }),
  };
}

/** The judge's view of the stored step that step `index` is compared with. */
export function storedMeasurements(baseline: Baseline, index: number): ArmStepMeasurements | undefined {
  const step = storedStepFor(baseline, index);
  return step ? judgeArm(step.arm, step.durationMs) : undefined;
}

/** Why a baseline may not be comparable with this run: a warning for every report. */
export function baselineWarnings(
  baseline: Baseline,
  scenarioDigest: string,
  machine: BaselineFile['machine'],
): string[] {
  const f = baseline.file;
  const out: string[] = [];
  if (f.scenario.digest !== scenarioDigest)
    out.push(
      `the baseline was recorded with another scenario file (${f.scenario.name}, digest ${f.scenario.digest.slice(0, 12)})`,
    );
  if (f.machine.cpuModel !== machine.cpuModel || f.machine.cpus !== machine.cpus || f.machine.node !== machine.node) {
    out.push(
      `the baseline was recorded on another machine (${f.machine.cpus} × ${f.machine.cpuModel}, Node ${f.machine.node}; here ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node})`,
    );
  }
  return out;
}
