/**
 * Spreads a plan over worker threads: each runs an equal share (rate, connections and request
 * cap add up exactly), with its schedule phase-shifted so the workers interleave. Results merge
 * exactly, since histograms add. Weights, marks and measurements since a mark are messages to
 * every worker; the answers merge like the results.
 */
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import { addGeneratorSample, emptyGeneratorSample } from './generator-meter.js';
import { armFromWire, intervalFromWire, mergeByArm } from './merge.js';
import { type LoadPlan, workerShare } from './plan.js';
import type { ArmMeasurements } from './recorder.js';
import type { ThreadHooks, ThreadResult } from './run-in-thread.js';
import type { WorkerCommand, WorkerMessage } from './worker-protocol.js';

/** Each worker's result, and the merged one. */
export interface WorkersResult {
  /** Merged over workers. */
  merged: ThreadResult;
  /** One per worker, in worker order. */
  perWorker: ThreadResult[];
}

/** A load running over worker threads. */
export interface WorkersRun {
  /** Resolves when every worker is done. */
  done: Promise<WorkersResult>;
  /** New relative weights per arm, in every worker (with `atEpochMs`, from that time on). */
  setWeights(weights: Record<string, number>, atEpochMs?: number): void;
  /** Every worker remembers its measurements now under `id`. */
  mark(id: number): void;
  /** Measurements since mark `id`, merged over workers. */
  since(id: number): Promise<ArmMeasurements[]>;
  /** Every worker forgets mark `id`. */
  forget(id: number): void;
  /** Stop issuing; in-flight requests finish. */
  stop(): void;
}

/**
 * How long a worker told to abort (after another failed) or done reporting may take to exit by
 * itself before it is terminated: a terminate() that lands while the thread is inside zlib (it
 * deflates histograms for the wire) between creating a handle and initializing it aborts the
 * whole process as the thread is torn down (node's "close before init" assertion: one CI run's
 * test fork died of it; a loop that terminates a thread deflating 8-byte buffers hits it within
 * 1 000 terminations). A CLI gone that way could not reset its router. A worker past this grace
 * is hung on a socket or a CPU loop, not encoding.
 */
export const WORKER_EXIT_GRACE_MS = 5000;

/** Start `plan` over `plan.workers` worker threads. */
export function startInWorkers(plan: LoadPlan, hooks: ThreadHooks = {}): WorkersRun {
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
  const live = new Set(workers);
  /** Workers whose thread has not exited yet (`live` loses a worker once it has reported). */
  const running = new Set(workers);
  const tell = (command: WorkerCommand): void => {
    for (const worker of live) worker.postMessage(command);
  };
  const abortAll = (): void => tell({ type: 'abort' });
  if (hooks.signal?.aborted) abortAll();
  hooks.signal?.addEventListener('abort', abortAll, { once: true });

  /** Set once the load has settled: a straggler's seconds are no longer reported. */
  let ended = false;
  let nextRequest = 0;
  const pendingSince = new Map<
    number,
    {
      parts: ArmMeasurements[][];
      waiting: number;
      resolve: (arms: ArmMeasurements[]) => void;
      reject: (e: Error) => void;
    }
  >();
  const settleSince = (request: number, parts: ArmMeasurements[] | Error): void => {
    const pending = pendingSince.get(request);
    if (!pending) return;
    if (parts instanceof Error) {
      pendingSince.delete(request);
      pending.reject(parts);
      return;
    }
    pending.parts.push(parts);
    if (--pending.waiting > 0) return;
    pendingSince.delete(request);
    pending.resolve(mergeByArm(pending.parts.flat()));
  };

  const done = Promise.all(
    workers.map((worker, i) => {
      return new Promise<ThreadResult>((resolve, reject) => {
        let settled = false;
        worker.on('message', (message: WorkerMessage) => {
          if (message.type === 'interval') {
            // A worker told to abort after another failed may report one more second.
            if (ended) return;
            hooks.onInterval?.(
              message.index,
              Object.fromEntries(Object.entries(message.arms).map(([arm, s]) => [arm, intervalFromWire(s)])),
              message.generator,
            );
          } else if (message.type === 'since') {
            settleSince(message.request, message.arms.map(armFromWire));
          } else if (message.type === 'since-error') {
            settleSince(message.request, new RangeError(message.message));
          } else if (message.type === 'done') {
            settled = true;
            live.delete(worker);
            resolve({ ...message.result, arms: message.result.arms.map(armFromWire) });
          } else {
            settled = true;
            live.delete(worker);
            reject(new Error(`load worker ${i} failed: ${message.message}`));
          }
        });
        worker.on('error', (error) => {
          settled = true;
          live.delete(worker);
          reject(error);
        });
        worker.on('exit', (code) => {
          running.delete(worker);
          live.delete(worker);
          if (!settled) reject(new Error(`load worker ${i} exited with code ${code} before reporting`));
        });
      });
    }),
  )
    .then((results) => ({ merged: mergeThreadResults(results), perWorker: results }))
    .finally(() => {
      ended = true;
      hooks.signal?.removeEventListener('abort', abortAll);
      // After a failure the other workers would go on sending load: they are told to abort, and
      // end as a finished worker does, by themselves; terminated only past the grace (above).
      abortAll();
      endStragglers(running);
      for (const [request] of pendingSince) settleSince(request, new RangeError('the load ended before it answered'));
    });

  return {
    done,
    setWeights: (weights, atEpochMs) =>
      tell({ type: 'weights', weights, ...(atEpochMs === undefined ? {} : { atEpochMs }) }),
    mark: (id) => tell({ type: 'mark', id }),
    forget: (id) => tell({ type: 'forget', id }),
    stop: () => tell({ type: 'stop' }),
    since: (id) =>
      new Promise<ArmMeasurements[]>((resolve, reject) => {
        if (live.size === 0) {
          reject(new RangeError('the load has ended; read its result instead'));
          return;
        }
        const request = nextRequest++;
        pendingSince.set(request, { parts: [], waiting: live.size, resolve, reject });
        tell({ type: 'since', id, request });
      }),
  };
}

/** Terminate the workers of `running` still running WORKER_EXIT_GRACE_MS from now. */
function endStragglers(running: Set<Worker>): void {
  if (running.size === 0) return;
  const timer = setTimeout(() => {
    for (const worker of running) void worker.terminate();
  }, WORKER_EXIT_GRACE_MS);
  // A running worker keeps the process alive by itself; the timer must not, once all have exited.
  timer.unref();
  for (const worker of running) {
    worker.once('exit', () => {
      if (running.size === 0) clearTimeout(timer);
    });
  }
}

/** Run `plan` over `plan.workers` worker threads to its end. */
export function runInWorkers(plan: LoadPlan, hooks: ThreadHooks = {}): Promise<WorkersResult> {
  return startInWorkers(plan, hooks).done;
}

/** Merge per-worker results into one. */
export function mergeThreadResults(results: readonly ThreadResult[]): ThreadResult {
  const first = results[0];
  if (!first) throw new RangeError('no worker results to merge');
  const signals = emptyGeneratorSample();
  for (const r of results) addGeneratorSample(signals, r.signals, true);
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
    signals,
    responsesInWindow: results.reduce((s, r) => s + r.responsesInWindow, 0),
  };
}
