/** Whether a build answers its health path: while it starts, and after each round of load. */
import { setTimeout as delay } from 'node:timers/promises';
import { BuildError } from '../errors.js';
import { probe } from '../metrics/probe.js';

/**
 * How long one health probe of a build that was healthy may take, ms. A build just out of a round
 * of load may still be draining its queue; slowness is the judge's business, no answer is ours.
 */
const SERVING_PROBE_MS = 5000;

/** Why a build can no longer serve (it exited), or undefined while it runs. */
export type GoneCheck = () => Promise<string | undefined> | string | undefined;

/** How to wait for one build. */
export interface HealthWait {
  /** The health URL. */
  url: string;
  /** Give up after this long, ms. */
  timeoutMs: number;
  /** Stops waiting (SIGINT/SIGTERM). */
  signal?: AbortSignal | undefined;
  /** Why the build can no longer become healthy (it exited), or undefined while it runs. */
  gone?: GoneCheck;
}

/** Poll until the URL answers 2xx; throws a BuildError when it never does or the build is gone. */
export async function waitForHealth(w: HealthWait): Promise<{ waitedMs: number }> {
  const started = performance.now();
  // A service needs a moment to bind its port, and has no other way to tell us it did.
  for (;;) {
    w.signal?.throwIfAborted();
    const result = await probe(w.url, 1000);
    // Asked after the probe, so a 2xx counts only from a build still running then: whatever else
    // listens on the port (an orphan of an earlier run) answers too, while the build itself dies
    // of EADDRINUSE.
    const gone = await w.gone?.();
    if (gone !== undefined) {
      const last = result.ok ? `${result.detail}, so something else answers there` : result.detail;
      throw new BuildError(`${gone} before ${w.url} answered 2xx (last: ${last})`);
    }
    if (result.ok) return { waitedMs: performance.now() - started };
    if (performance.now() - started > w.timeoutMs) {
      throw new BuildError(
        `${w.url} did not answer 2xx within ${Math.round(w.timeoutMs / 1000)} s (last: ${result.detail})`,
        { hint: 'the service must listen on the port given in its port environment variable (PORT by default)' },
      );
    }
    await delay(100, undefined, w.signal ? { signal: w.signal } : {});
  }
}

/**
 * Why a build that was healthy no longer serves — it exited, or it runs but its health URL does
 * not answer 2xx — or undefined while it is up. Load sent to a dead build measures connection
 * errors, not the build, so a run checks this after every round of load.
 */
export async function stillServing(url: string, gone: GoneCheck): Promise<string | undefined> {
  const result = await probe(url, SERVING_PROBE_MS);
  const exited = await gone();
  if (exited !== undefined) return exited;
  return result.ok ? undefined : `it still runs, but ${url} no longer answers 2xx (${result.detail})`;
}
