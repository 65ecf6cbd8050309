// The demo service baked into canary-gate-demo images (scripts/build-demo-image.sh): plain
// node:http, no dependencies, so the image holds nothing but node and this file.
//
// Environment (the contract `canary-gate regress` relies on):
//   PORT            port to listen on (host networking: each container gets its own)
//   HOST            address to listen on, default 127.0.0.1
//   LATENCY_MS      median latency of the log-normal delay, default 4
//   LATENCY_SIGMA   shape of the log-normal delay, default 0.3
//   EXTRA_DELAY_MS  added to every delay: the slow variant's regression, default 0
//   ERROR_RATE      fraction answered with 500, default 0
//   EXIT_AFTER_MS   exit with code 1 this long after starting, as a crash would; default never
// GET /health answers 200 at once; every other path answers after the delay.
import { createServer } from 'node:http';

const number = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`${name}: expected a non-negative number, found ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
};

const port = number('PORT', 8080);
const host = process.env.HOST || '127.0.0.1';
const medianMs = number('LATENCY_MS', 4);
const sigma = number('LATENCY_SIGMA', 0.3);
const extraMs = number('EXTRA_DELAY_MS', 0);
const errorRate = number('ERROR_RATE', 0);
const exitAfterMs = number('EXIT_AFTER_MS', 0);

// Box-Muller: a standard normal from two uniforms; exp(mu + sigma z) is log-normal with median e^mu.
const logNormalMs = () => {
  const u = 1 - Math.random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
  return medianMs * Math.exp(sigma * z);
};

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  req.resume();
  const fail = errorRate > 0 && Math.random() < errorRate;
  setTimeout(
    () => {
      if (fail) res.writeHead(500, { 'content-type': 'text/plain' }).end('injected error');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    },
    Math.max(0, logNormalMs() + extraMs),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(port, host, () =>
  console.log(`demo service on http://${host}:${port} (median ${medianMs} ms + ${extraMs} ms)`),
);

// A build that dies mid-run, for the tests of what regress makes of it.
if (exitAfterMs > 0) {
  setTimeout(() => {
    console.error(`exiting after EXIT_AFTER_MS=${exitAfterMs}, as a crash would`);
    process.exit(1);
  }, exitAfterMs);
}

// As PID 1 in a container, node has no default action for SIGTERM: without these handlers
// `docker stop` would wait out its grace period and then kill.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
}
