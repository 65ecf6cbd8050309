/**
 * Worker-thread entry: runs its share of a plan and posts interval samples and the final
 * measurements (histograms encoded) to the parent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { armToWire, intervalToWire } from './merge.js';
import type { LoadPlan } from './plan.js';
import type { IntervalArmSample } from './recorder.js';
import { runInThread } from './run-in-thread.js';
import type { WorkerMessage } from './worker-protocol.js';

const { plan, phaseOffsetMs } = workerData as { plan: LoadPlan; phaseOffsetMs: number };
const port = parentPort;
if (!port) throw new Error('load worker started outside a worker thread');
const controller = new AbortController();
port.on('message', (message: { type: 'stop' }) => {
  if (message.type === 'stop') controller.abort();
});

const post = (message: WorkerMessage): void => port.postMessage(message);

runInThread(plan, {
  signal: controller.signal,
  phaseOffsetMs,
  onInterval: (index: number, arms: Record<string, IntervalArmSample>) => {
    post({
      type: 'interval',
      index,
      arms: Object.fromEntries(Object.entries(arms).map(([arm, s]) => [arm, intervalToWire(s)])),
    });
  },
})
  .then((result) => {
    post({ type: 'done', result: { ...result, arms: result.arms.map(armToWire) } });
    port.close();
  })
  .catch((error: unknown) => {
    post({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    port.close();
  });
