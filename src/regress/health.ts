/** Waiting for a freshly started build to answer its health path. */
import { setTimeout as delay } from 'node:timers/promises';
import { probe } from '../canary/preflight.js';
import { BuildError } from '../errors.js';

/** How to wait for one build. */
export interface HealthWait {
  /** The health URL. */
  url: string;
  /** Give up after this long, ms. */
  timeoutMs: number;
  /** Stops waiting (SIGINT/SIGTERM). */
  signal?: AbortSignal | undefined;
  /** Why the build can no longer become healthy (it exited), or undefined while it runs. */
  gone?: () => Promise<string | undefined> | string | undefined;
}

/** Poll until the URL answers 2xx; throws a BuildError when it never does or the build is gone. */
export async function waitForHealth(w: HealthWait): Promise<{ waitedMs: number }> {
  const started = performance.now();
  let last = 'no answer yet';
  // A service needs a moment to bind its port, and has no other way to tell us it did.
  for (;;) {
    w.signal?.throwIfAborted();
    const result = await probe(w.url, 1000);
    if (result.ok) return { waitedMs: performance.now() - started };
    last = result.detail;
    const gone = await w.gone?.();
    if (gone !== undefined) throw new BuildError(`${gone} before ${w.url} answered 2xx (last: ${last})`);
    if (performance.now() - started > w.timeoutMs) {
      throw new BuildError(`${w.url} did not answer 2xx within ${Math.round(w.timeoutMs / 1000)} s (last: ${last})`, {
        hint: 'the service must listen on the port given in its port environment variable (PORT by default)',
      });
    }
    await delay(100, undefined, w.signal ? { signal: w.signal } : {});
  }
}
