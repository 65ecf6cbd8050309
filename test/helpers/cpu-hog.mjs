/**
 * A busy neighbour on demand: takes this thread's CPU for `busyMs` of every `everyMs`, so a load
 * generator on the same thread issues its requests behind schedule however fast the service is.
 * Plain JavaScript, so a CLI child process can preload it without a TypeScript loader: with
 * `cpuHogEnv(...)` in its environment, `node --import <this file>` starts the hog at once.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const ENV = 'CANARY_GATE_TEST_CPU_HOG';

/** Start hogging this thread; returns the function that stops it. */
export function startCpuHog({ busyMs, everyMs }) {
  const timer = setInterval(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      // Busy-wait on purpose: this is the generator's CPU being taken.
    }
  }, everyMs);
  // A preloaded hog must not keep the CLI process alive once the command is done.
  timer.unref();
  return () => clearInterval(timer);
}

/** Environment that makes a child Node process hog its main thread from its first line. */
export function cpuHogEnv({ busyMs, everyMs }) {
  return { NODE_OPTIONS: `--import ${import.meta.url}`, [ENV]: `${busyMs}/${everyMs}` };
}

const preloaded = process.env[ENV];
if (preloaded) {
  const [busyMs, everyMs] = preloaded.split('/').map(Number);
  startCpuHog({ busyMs, everyMs });
}

// Run directly, it is a busy neighbour process beside a test loop until killed:
//   node test/helpers/cpu-hog.mjs [busyMs=80] [everyMs=100] & HOG=$!; …; kill $HOG
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [busyMs = 80, everyMs = 100] = process.argv.slice(2).map(Number);
  startCpuHog({ busyMs, everyMs });
  // The hog's own timer is unref'd: this one keeps the process alive.
  setInterval(() => {}, 1 << 30);
}
