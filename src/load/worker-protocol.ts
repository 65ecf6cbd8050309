/** Messages between a load worker and its parent. */
import type { GeneratorSample } from './generator-meter.js';
import type { ArmMeasurementsWire, IntervalArmSampleWire } from './merge.js';
import type { ThreadResult } from './run-in-thread.js';

/** Everything a worker says. */
export type WorkerMessage =
  | { type: 'interval'; index: number; arms: Record<string, IntervalArmSampleWire>; generator: GeneratorSample }
  | { type: 'since'; request: number; arms: ArmMeasurementsWire[] }
  | { type: 'since-error'; request: number; message: string }
  | { type: 'done'; result: Omit<ThreadResult, 'arms'> & { arms: ArmMeasurementsWire[] } }
  | { type: 'error'; message: string };

/** Everything the parent tells a worker. */
export type WorkerCommand =
  /** Stop at once: connections destroyed, in-flight requests not recorded. */
  | { type: 'abort' }
  /** Stop issuing; in-flight requests finish and are measured. */
  | { type: 'stop' }
  /** New relative weights per arm (from the requests meant for `atEpochMs` on, when given). */
  | { type: 'weights'; weights: Record<string, number>; atEpochMs?: number }
  /** Remember the measurements now under `id`. */
  | { type: 'mark'; id: number }
  /** Reply with the measurements since mark `id` (a `since` message carrying `request`). */
  | { type: 'since'; id: number; request: number }
  /** Forget mark `id`. */
  | { type: 'forget'; id: number };
