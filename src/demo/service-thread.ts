/** Runs a demo service in its own worker thread: its stalls freeze that thread only. */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import type { DemoServiceOptions, RunningService } from './service.js';

/** Start a demo service on a worker thread; `close()` stops it and ends the thread. */
export async function startDemoServiceThread(options: DemoServiceOptions = {}): Promise<RunningService> {
  const entry = workerEntry(import.meta.url, 'service-worker');
  const worker = new Worker(entry, { workerData: options });
  const [message] = (await Promise.race([
    once(worker, 'message'),
    once(worker, 'error').then(([error]) => Promise.reject(error)),
  ])) as [{ url: string; port: number }];
  return {
    url: message.url,
    port: message.port,
    setRegression: async (on) => {
      const done = once(worker, 'message');
      worker.postMessage({ type: 'regression', on });
      await done;
    },
    close: async () => {
      const exited = once(worker, 'exit');
      worker.postMessage({ type: 'close' });
      await exited;
    },
  };
}
