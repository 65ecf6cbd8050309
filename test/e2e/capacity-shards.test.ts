/**
 * `canary-gate capacity --shards N` end to end: the built CLI as a process, each step's load from
 * shard processes (the process executor) against real servers on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import type { CapacityResult } from '../../src/capacity/result.js';
import { startDemoServiceThread } from '../../src/demo/service-thread.js';
import { runCli, startCli } from '../helpers/cli.js';
import { gone, shardsRunning } from '../helpers/processes.js';
import { useTestServer } from '../helpers/test-server-fixture.js';

const server = useTestServer();

describe('canary-gate capacity --shards', () => {
  it("finds a known capacity with each step's load from 2 shard processes, merged exactly", async () => {
    // 2 requests at a time, 20 ms each: 100/s. From 60/s: 60 passes, 120 fails, 90 passes and
    // (120 − 90) / 90 is within 50 %: three steps. The SLO leaves 80 ms for a busy neighbour; at
    // 120/s the queue grows 20 requests a second, 10 ms each: 160 ms over an 800 ms step.
    const service = await startDemoServiceThread({ capacity: { concurrency: 2, serviceMs: 20 } });
    try {
      const run = await runCli([
        'capacity',
        `${service.url}/`,
        '--slo',
        'p99<100ms,errors<1%',
        '--start',
        '60/s',
        '--max',
        '240/s',
        '--precision',
        '50%',
        '--step-duration',
        '600ms',
        '--warmup',
        '200ms',
        '--cooldown',
        '300ms',
        '--shards',
        '2',
        '--json',
      ]);
      const result = JSON.parse(run.stdout) as CapacityResult;
      // Each step's saturation reasons name a shard that started late, and by how much.
      const reasons = result.targets.flatMap((t) =>
        t.steps.map((s) => `${s.offeredPerSec}/s: ${s.saturation.reasons.join('; ')}`),
      );
      expect(run.code, `${run.stderr}\n${reasons.join('\n')}`).toBe(0);
      expect(result.settings.shards).toEqual({ count: 2, executor: 'process' });
      const [target] = result.targets;
      // On a failure, every step as measured: in one CI run on a busy host 120/s passed.
      const shown = [
        'offeredPerSec',
        'outcome',
        'retried',
        'saturation',
        'requests',
        'sentPerSec',
        'late',
        'dropped',
        'latencyMs',
        'serviceMs',
      ] as const;
      const steps = JSON.stringify(target?.steps.map((s) => Object.fromEntries(shown.map((f) => [f, s[f]]))));
      expect(target?.verdict, steps).toBe('found');
      expect(target?.capacityPerSec, steps).toBe(90);
      const passed = (target?.steps ?? []).filter((s) => s.outcome === 'pass');
      expect(passed.map((s) => s.offeredPerSec)).toEqual(expect.arrayContaining([60, 90]));
      // Each shard sends rate/2 for 600 ms after its 200 ms warm-up: the merged step holds both
      // halves. Each shard plans floor(rate/2 × 800 ms) sends: 600 ms keeps that whole at 60 and 90/s.
      for (const step of passed) expect(step.requests).toBe((step.offeredPerSec * 600) / 1000);
      expect(target?.steps.some((s) => s.offeredPerSec === 120 && s.outcome === 'fail')).toBe(true);
    } finally {
      await service.close();
    }
  });

  it('names a shard killed mid-step and exits 3, leaving no shard running', async () => {
    const cli = startCli([
      'capacity',
      `${server.url}/`,
      '--slo',
      'p99<500ms',
      '--start',
      '50/s',
      '--step-duration',
      '20s',
      '--warmup',
      '0s',
      '--shards',
      '2',
    ]);
    const [first, second] = await shardsRunning(cli.child.pid as number, 2, 10_000);
    process.kill(second as number, 'SIGKILL');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`(pid ${second}): exited (SIGKILL) before its end line`);
    await gone([first as number, second as number], 5000);
  });
});
