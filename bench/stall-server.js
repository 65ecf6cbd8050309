// A server on 127.0.0.1 that answers at once but freezes its event loop for argv[2] ms at the
// start of every second (a stop-the-world pause): requests due during the pause wait for it, so
// an honest open-model generator shows the pause in its tail. Started by bench/shards.js (fork);
// it sends its port to the parent and ends with it.
import { createServer } from 'node:http';

const stallMs = Number(process.argv[2] ?? 100);
const server = createServer((req, res) => {
  req.resume();
  res.end('ok');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.(server.address().port));
const timer = setInterval(() => {
  const until = Date.now() + stallMs;
  while (Date.now() < until) {}
}, 1000);
let stopped = false;
const stop = () => {
  if (stopped) return;
  stopped = true;
  clearInterval(timer);
  server.closeAllConnections();
  server.close();
  if (process.connected) process.disconnect();
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
