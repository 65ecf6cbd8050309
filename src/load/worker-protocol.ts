/** Messages a load worker posts to its parent. */
import type { ArmMeasurementsWire, IntervalArmSampleWire } from './merge.js';
import type { ThreadResult } from './run-in-thread.js';

/** Everything a worker says. */
export type WorkerMessage =
  | { type: 'interval'; index: number; arms: Record<string, IntervalArmSampleWire> }
  | { type: 'done'; result: Omit<ThreadResult, 'arms'> & { arms: ArmMeasurementsWire[] } }
  | { type: 'error'; message: string };
