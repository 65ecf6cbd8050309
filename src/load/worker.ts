/**
 * Worker-thread entry: runs its share of a plan, posts interval samples and the final
 * measurements (histograms encoded) to the parent, and obeys the parent's commands (stop, abort,
 * new weights, marks and measurements since a mark).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { armToWire, intervalToWire } from './merge.js';
import type { LoadPlan } from './plan.js';
import { startInThread } from './run-in-thread.js';
import type { WorkerCommand, WorkerMessage } from './worker-protocol.js';

const { plan, phaseOffsetMs } = workerData as { plan: LoadPlan; phaseOffsetMs: number };
const port = parentPort;
if (!port) throw new Error('load worker started outside a worker thread');
const controller = new AbortController();
const post = (message: WorkerMessage): void => port.postMessage(message);

const run = startInThread(plan, {
  signal: controller.signal,
  phaseOffsetMs,
  onInterval: (index, arms, generator) => {
    post({
      type: 'interval',
      index,
      arms: Object.fromEntries(Object.entries(arms).map(([arm, s]) => [arm, intervalToWire(s)])),
      generator,
    });
  },
});

port.on('message', (command: WorkerCommand) => {
  switch (command.type) {
    case 'abort':
      controller.abort();
      return;
    case 'stop':
      run.stop();
      return;
    case 'weights':
      run.setWeights(command.weights, command.atEpochMs);
      return;
    case 'mark':
      run.mark(command.id);
      return;
    case 'forget':
      run.forget(command.id);
      return;
    case 'since':
      try {
        post({ type: 'since', request: command.request, arms: run.since(command.id).map(armToWire) });
      } catch (error) {
        post({ type: 'since-error', request: command.request, message: (error as Error).message });
      }
      return;
  }
});

run.done
  .then((result) => {
    post({ type: 'done', result: { ...result, arms: result.arms.map(armToWire) } });
    port.close();
  })
  .catch((error: unknown) => {
    post({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    port.close();
  });
