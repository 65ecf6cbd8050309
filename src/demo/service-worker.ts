/** Worker-thread entry of a demo service, so its stalls never freeze the load generator. */
import { parentPort, workerData } from 'node:worker_threads';
import { type DemoServiceOptions, startDemoService } from './service.js';

const port = parentPort;
if (!port) throw new Error('demo service worker started outside a worker thread');
const service = await startDemoService(workerData as DemoServiceOptions);
port.postMessage({ type: 'listening', url: service.url, port: service.port });
port.on('message', (message: { type: string; on?: boolean }) => {
  if (message.type === 'regression') {
    service.setRegression(message.on === true);
    port.postMessage({ type: 'regression-set' });
  } else if (message.type === 'close') {
    void service.close().then(() => {
      port.postMessage({ type: 'closed' });
      port.close();
    });
  }
});
