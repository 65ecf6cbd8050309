/**
 * How traffic moves between baseline and canary. Every router implements this one small
 * interface (as undici's dispatchers implement Dispatcher): the driver only ever calls these,
 * and asks a router what it can do by the capabilities it declares, never by its class.
 */
import type { ArmMeasurements } from '../../load/recorder.js';

/** The weight that is always safe: no traffic on the canary. */
export const SAFE_WEIGHT = 0;

/** Context a router gets with each weight change. */
export interface WeightChange {
  /** Canary weight, percent (0–100). */
  weight: number;
  /** 0-based step index; -1 for a reset. */
  step: number;
  /** Run id. */
  run: string;
}

/** A way of moving traffic. */
export interface Router {
  /** Router type as in the scenario ("split", "nginx", …). */
  readonly type: string;
  /** Move `change.weight` % of traffic to the canary; throws RouterError when it cannot. */
  setWeight(change: WeightChange): Promise<void>;
  /** Back to the safe weight (0 % canary). */
  reset(run: string): Promise<void>;
  /** One line for plans, logs and reports. */
  describe(): string;
  /** Release what the router holds (a listening proxy); idempotent. */
  close(): Promise<void>;
  /**
   * Present when traffic passes through the router itself: it starts listening and resolves
   * with the base URL clients (the probe load among them) send to.
   */
  listen?(): Promise<string>;
  /**
   * Present when the router measures each arm of the traffic it carries: the driver then takes
   * each arm's measurements from it rather than sending its own probes straight to each arm.
   */
  readonly measuresArms?: ArmMeasurer;
}

/** A router that records each arm of the traffic it carries. */
export interface ArmMeasurer {
  /** Start a new measurement; requests that arrive before `fromMs` (performance.now()) are not recorded. */
  startMeasuring(fromMs: number): void;
  /** What was measured since startMeasuring, per arm. */
  measurements(): ArmMeasurements[];
}

/** Substitute `{weight}`, `{step}` and `{run}` in each argument (never through a shell). */
export function expandArgv(argv: readonly string[], change: WeightChange): string[] {
  return argv.map((arg) =>
    arg
      .replaceAll('{weight}', String(change.weight))
      .replaceAll('{step}', String(change.step))
      .replaceAll('{run}', change.run),
  );
}
