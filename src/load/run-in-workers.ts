/**
 * Spreads a plan over worker threads: each runs an equal share (rate, connections and request
 * cap add up exactly), with its schedule phase-shifted so the workers interleave. Results merge
 * exactly, since histograms add.
 */
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import { armFromWire, intervalFromWire, mergeByArm } from './merge.js';
import { type LoadPlan, workerShare } from './plan.js';
import type { ThreadHooks, ThreadResult } from './run-in-thread.js';
import type { WorkerMessage } from './worker-protocol.js';

/** Each worker's result, and the merged one. */
export interface WorkersResult {
  /** Merged over workers. */
  merged: ThreadResult;
  /** One per worker, in worker order. */
  perWorker: ThreadResult[];
}

/** Run `plan` over `plan.workers` worker threads. */
export async function runInWorkers(plan: LoadPlan, hooks: ThreadHooks = {}): Promise<WorkersResult> {
  const entry = workerEntry(import.meta.url, 'worker');
  const n = plan.workers;
  const slotMs = plan.ratePerSec === undefined ? 0 : 1000 / plan.ratePerSec;
  const workers = Array.from(
    { length: n },
    (_, i) =>
      new Worker(entry, {
        workerData: { plan: workerShare(plan, i), phaseOffsetMs: i * slotMs },
      }),
  );
  const stopAll = (): void => {
    for (const worker of workers) worker.postMessage({ type: 'stop' });
  };
  if (hooks.signal?.aborted) stopAll();
  hooks.signal?.addEventListener('abort', stopAll, { once: true });
  const results = await Promise.all(
    workers.map((worker, i) => {
      return new Promise<ThreadResult>((resolve, reject) => {
        let settled = false;
        worker.on('message', (message: WorkerMessage) => {
          if (message.type === 'interval') {
            hooks.onInterval?.(
              message.index,
              Object.fromEntries(Object.entries(message.arms).map(([arm, s]) => [arm, intervalFromWire(s)])),
            );
          } else if (message.type === 'done') {
            settled = true;
            resolve({ ...message.result, arms: message.result.arms.map(armFromWire) });
          } else {
            settled = true;
            reject(new Error(`load worker ${i} failed: ${message.message}`));
          }
        });
        worker.on('error', (error) => {
          settled = true;
          reject(error);
        });
        worker.on('exit', (code) => {
          if (!settled) reject(new Error(`load worker ${i} exited with code ${code} before reporting`));
        });
      });
    }),
  ).finally(() => {
    hooks.signal?.removeEventListener('abort', stopAll);
    // After a failure the other workers would go on sending load: end them all. A worker that
    // already finished has exited; terminate() is a no-op for it.
    for (const worker of workers) void worker.terminate();
  });
  return { merged: mergeThreadResults(results), perWorker: results };
}

/** Merge per-worker results into one. */
export function mergeThreadResults(results: readonly ThreadResult[]): ThreadResult {
  const first = results[0];
  if (!first) throw new RangeError('no worker results to merge');
  return {
    model: first.model,
    scheduled: first.scheduled === undefined ? undefined : results.reduce((s, r) => s + (r.scheduled ?? 0), 0),
    sendWindowMs: Math.max(...results.map((r) => r.sendWindowMs)),
    elapsedMs: Math.max(...results.map((r) => r.elapsedMs)),
    arms: mergeByArm(results.flatMap((r) => r.arms)),
    generator: {
      eventLoopDelayP99Ms: Math.max(...results.map((r) => r.generator.eventLoopDelayP99Ms)),
      eventLoopDelayMaxMs: Math.max(...results.map((r) => r.generator.eventLoopDelayMaxMs)),
      // process.cpuUsage() is process-wide, so every worker reports the same figure.
      cpuPercent: Math.max(...results.map((r) => r.generator.cpuPercent)),
      issuedBehind: results.reduce((s, r) => s + r.generator.issuedBehind, 0),
    },
  };
}
