/** A started build of a regression run, whatever runs it (a container or a local process). */
import type { RegressArm } from './plan.js';

/** How to start one build. */
export interface BuildStart {
  /** Which arm it serves. */
  arm: RegressArm;
  /** The run's id: names and labels what is started, so it can be found and stopped. */
  run: string;
  /** Port the service must listen on (host networking: the host's port). */
  port: number;
  /** Environment, the port variable included. */
  env: Record<string, string>;
  /** Health URL that must answer 2xx. */
  healthUrl: string;
  /** How long starting and answering the health URL may take, ms. */
  startupTimeoutMs: number;
  /** Stops a start in progress (SIGINT/SIGTERM). */
  signal?: AbortSignal | undefined;
}

/** A build that is up and healthy. */
export interface RunningBuild {
  /** Which arm it serves. */
  arm: RegressArm;
  /** Base URL of the service. */
  url: string;
  /** What runs it, for people: container name and limits, or the command and its pid. */
  description: string;
  /** From the start request to the first 2xx of the health URL, ms. */
  startupMs: number;
  /**
   * Why it no longer serves — it exited (exit code, OOM kill and last output when known), or it
   * runs but its health URL does not answer 2xx — or undefined while it is up.
   */
  down: () => Promise<string | undefined>;
  /** Stop it and wait until it is gone; never rejects. */
  stop: () => Promise<void>;
}
