import { defineConfig } from 'vitest/config';

/**
 * Where a test file runs. The machine phases run one after another: unit, machine, beside-one,
 * quiet, alone. A new file under test/integration, test/e2e or test/faults runs in `machine` (three
 * at a time) without being listed; list it in one of the three lists below only when its verdict
 * rests on timing a neighbour could move, in the first list that keeps it robust beside
 * `node test/helpers/cpu-hog.mjs 50 100`.
 */

/**
 * Verdicts of a healthy canary judged from real load, which three busy neighbours can move (each
 * failed beside a CPU hog or beside three machine files) but one cannot: two at a time, with each
 * other only.
 */
const BESIDE_ONE = [
  // A healthy demo at 1500/s and 2000/s promoted: demo services and the generator share the cores.
  'test/integration/metrics/run-metrics.test.ts',
  'test/e2e/demo-command.test.ts',
  // A healthy canary promoted with security gates; `judge --step` exits 0 for a healthy canary.
  'test/e2e/security.test.ts',
  'test/e2e/serve-controllers.test.ts',
  // Canaries promoted under PromQL checks: at three machine files at a time the one whose
  // non-critical check fails was rolled back once, where 3 of its 4 groups should pass.
  'test/integration/metrics/external-checks.test.ts',
];

/**
 * Light files that measure time closely (a schedule kept, latency at an analytic value, the
 * slowest traced requests): two at a time, with each other only, after everything that loads the
 * machine.
 */
const QUIET = [
  'test/integration/load/open-model.test.ts',
  'test/integration/load/closed-model.test.ts',
  // The slowest traced requests must be exactly the ones the server delayed by 60 ms.
  'test/integration/load/tracing.test.ts',
  // A generator that keeps up must not be flagged as generator-limited; a busy neighbour would
  // starve it. Whether the generator kept its schedule: the cases that must not be a generator
  // limit (a stalling service, a connection cap alone) need a quiet neighbour.
  'test/e2e/load-generator-limited.test.ts',
  'test/integration/load/generator-limited.test.ts',
];

/** Files that need the machine to themselves: one at a time, after everything else. */
const ALONE = [
  // 3000/s against demo services: its own load would be the neighbour of whatever ran beside it.
  'test/e2e/judge-run.test.ts',
  // A stored baseline against a run minutes later: a neighbour's load in between is a regression.
  'test/e2e/baseline-compare.test.ts',
  // Verdicts of a staged canary from shard containers compared with one process: an A/A whose
  // bursts a neighbour makes can stay undecided (beside a CPU hog: 1 in 5 at a 9 s longest step).
  'test/integration/shard/run-docker.test.ts',
];

const shared = {
  pool: 'forks' as const,
  testTimeout: 60_000,
  hookTimeout: 60_000,
  allowOnly: false,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    allowOnly: false,
    projects: [
      {
        // Pure code: files run in parallel, in threads that keep their imports from file to file.
        // Two at a time, stated: vitest's default is one worker fewer than the cores, so one here.
        test: {
          ...shared,
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Real servers and processes that tolerate busy neighbours: three files at a time (most of
        // them wait on steps, timeouts and child processes: two at a time left the CPU 28 % idle;
        // four at a time kept it busy throughout and seven verdicts and deadlines failed).
        test: {
          ...shared,
          name: 'machine',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/faults/**/*.test.ts'],
          exclude: [...BESIDE_ONE, ...QUIET, ...ALONE],
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: { ...shared, name: 'beside-one', include: BESIDE_ONE, maxWorkers: 2, sequence: { groupOrder: 2 } },
      },
      {
        test: { ...shared, name: 'quiet', include: QUIET, maxWorkers: 2, sequence: { groupOrder: 3 } },
      },
      {
        test: { ...shared, name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 4 } },
      },
    ],
  },
});
