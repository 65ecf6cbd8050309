/**
 * The pooled baseline. At 100 % the baseline arm carries no traffic, so the last step is judged
 * against the baseline of every earlier step together: more samples than any one step, and the
 * sentences name it ("against the pooled baseline of steps 1–4"). Windows keep their marks, and
 * windows the judge left out of their own step (a common transient) stay left out. Pure.
 */
import { createHistogram } from '../hdr/histogram.js';
import type { ArmStepMeasurements } from './judge.js';
import type { ExcludedWindow } from './verdict.js';
import type { ArmWindow } from './windows.js';

/** One earlier step's baseline arm, with the windows its verdict left out. */
export interface PoolPart {
  /** 1-based step number. */
  step: number;
  arm: ArmStepMeasurements;
  /** The step's StepVerdict.excluded (windows that decided nothing there). */
  excluded?: readonly ExcludedWindow[];
}

/** The baseline arms of earlier steps as one arm; undefined when there are none. */
export function poolBaseline(parts: readonly PoolPart[]): ArmStepMeasurements | undefined {
  const used = parts.filter((p) => p.arm.requests > 0);
  if (used.length === 0) return undefined;
  const latency = createHistogram();
  const windows: ArmWindow[] = [];
  for (const p of used) {
    latency.add(p.arm.latency);
    const out = new Map((p.excluded ?? []).map((w) => [w.startMs, w]));
    for (const w of p.arm.windows ?? []) {
      const why = w.excluded ?? out.get(w.startMs);
      windows.push(why ? { ...w, excluded: { kind: why.kind, ...(why.detail ? { detail: why.detail } : {}) } } : w);
    }
  }
  windows.sort((a, b) => a.startMs - b.startMs);
  const sum = (f: (a: ArmStepMeasurements) => number) => used.reduce((s, p) => s + f(p.arm), 0);
  return {
    latency,
    requests: sum((a) => a.requests),
    errors: sum((a) => a.errors),
    throttled: sum((a) => a.throttled),
    durationMs: sum((a) => a.durationMs),
    ...(windows.length > 0 ? { windows } : {}),
    pooledSteps: used.map((p) => p.step),
  };
}
