/**
 * Per-second windows of a session's running load, in the judge's form (gates/windows.ts
 * ArmWindow): each second's histogram is turned into compact buckets once, as it arrives, and the
 * seconds the engine's generator-limit rule flags are marked, in every arm (the generator is
 * shared). Kept here until the rollout driver's own collector is on main (issue #16 phase 2 wires
 * the same into src/canary/driver.ts); the judge only needs the type.
 */
import { bucketsOf } from '../gates/stats/buckets.js';
import type { ArmWindow } from '../gates/windows.js';
import type { LoadProgress } from '../load/engine.js';

/** Most windows kept per arm (an hour of seconds): older ones are dropped first. */
export const MAX_WINDOWS_PER_ARM = 3600;

/** Collects the per-second windows of one load, on the load's clock. */
export class WindowCollector {
  readonly #offsetMs: number;
  readonly #arms = new Map<string, ArmWindow[]>();

  /** `offsetMs`: where the engine's per-second series starts on the load's clock (its warm-up). */
  constructor(offsetMs: number) {
    this.#offsetMs = offsetMs;
  }

  /** Take one second of progress (LoadOptions.onProgress). */
  add(progress: LoadProgress): void {
    const limited = progress.generator?.limited === true;
    const detail = progress.generator?.reasons.map((r) => r.text).join('; ');
    for (const [arm, sample] of Object.entries(progress.samples)) {
      const point = progress.arms[arm];
      if (point === undefined) continue;
      const windows = this.#arms.get(arm) ?? [];
      this.#arms.set(arm, windows);
      windows.push({
        startMs: point.startMs + this.#offsetMs,
        durationMs: point.durationMs,
        latency: bucketsOf(sample.latency),
        requests: sample.requests,
        errors: sample.errors,
        ...(limited ? { excluded: { kind: 'generator-limited', ...(detail ? { detail } : {}) } } : {}),
      });
      if (windows.length > MAX_WINDOWS_PER_ARM) windows.shift();
    }
  }

  /** An arm's whole windows that began at or after `fromMs` and ended by `toMs` (load clock). */
  between(arm: string, fromMs: number, toMs: number): ArmWindow[] {
    return (this.#arms.get(arm) ?? []).filter((w) => w.startMs >= fromMs && w.startMs + w.durationMs <= toMs + 1);
  }

  /** Drop every window that began before `ms`: no step will ask for them again. */
  dropBefore(ms: number): void {
    for (const [arm, windows] of this.#arms) {
      this.#arms.set(
        arm,
        windows.filter((w) => w.startMs >= ms),
      );
    }
  }
}
