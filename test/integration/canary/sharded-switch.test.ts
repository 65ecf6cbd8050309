/**
 * A weight switch that reaches one shard late (its command held back on the way, as a busy
 * container engine holds a container's stdin): the step's judge leaves out the seconds in which
 * that shard still sent by the previous weights, and says why.
 * Two real shard processes against two real demo services.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { judgeArm } from '../../../src/arm/arm.js';
import { RolloutLoad, WEIGHTS_LATE } from '../../../src/canary/rollout-load.js';
import { shardedLoad } from '../../../src/canary/sharded-load.js';
import { startDemoServiceThread } from '../../../src/demo/service-thread.js';
import { judgedArm } from '../../../src/gates/arms.js';
import { exclusionsOf } from '../../../src/gates/windows.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import type { RunScenario } from '../../../src/scenario/schema.js';
import type { ShardExecutor } from '../../../src/shard/executor.js';
import { processExecutor } from '../../../src/shard/process-executor.js';
import { progressSeconds } from '../../helpers/progress-seconds.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/**
 * The process executor, with every weights command to shard `index` held back `delayMs`: longer
 * than the coordinator's lead (250 ms to 1.25 s), so the command comes after its switch's time.
 */
function holdingWeights(executor: ShardExecutor, index: number, delayMs: number): ShardExecutor {
  return {
    name: executor.name,
    ...(executor.controlChannel === undefined ? {} : { controlChannel: executor.controlChannel }),
    close: () => executor.close(),
    async start(launch) {
      const shard = await executor.start(launch);
      if (launch.index !== index) return shard;
      const timers: NodeJS.Timeout[] = [];
      cleanup.push(() => timers.forEach(clearTimeout));
      return {
        id: shard.id,
        stdout: shard.stdout,
        exited: shard.exited,
        stderrTail: () => shard.stderrTail(),
        stop: () => shard.stop(),
        kill: () => shard.kill(),
        send: (command) => {
          if (command.type !== 'weights') return shard.send(command);
          timers.push(setTimeout(() => shard.send(command), delayMs));
          return true;
        },
      };
    },
  };
}

async function scenario(): Promise<RunScenario> {
  const latency = { medianMs: 2, sigma: 0.3 };
  const [a, b] = await Promise.all([
    startDemoServiceThread({ latency, seed: 1 }),
    startDemoServiceThread({ latency, seed: 2 }),
  ]);
  cleanup.push(a.close, b.close);
  const { scenario: s } = loadScenario(
    `name: late switch
targets:
  baseline: { url: "${a.url}" }
  canary: { url: "${b.url}" }
traffic: { rate: 200/s, connections: 20, warmup: 0ms, stepDuration: 3s, timeout: 500ms }
requests: [{ path: /api }]
steps: [25, 100]
`,
    { file: 's.yaml', env: {} },
  );
  return s as RunScenario;
}

describe('a sharded rollout whose weight switch reaches one shard late', () => {
  it("leaves that shard's seconds on the old weights out of the step, and says why", async () => {
    const { onProgress, seconds } = progressSeconds();
    const load = new RolloutLoad({
      scenario: await scenario(),
      firstWeight: 25,
      durationMs: 30_000,
      start: shardedLoad({ shards: 2, executor: holdingWeights(processExecutor(), 1, 1600), startDelayMs: 2000 }),
      onProgress,
    });
    cleanup.push(() => load.stop().catch(() => undefined));
    await load.started();
    await seconds(1);
    load.setWeight(100);
    const step = load.beginStep();
    // The switch (≤ 1.25 s away), the late shard's command 1.6 s after it was sent, a request
    // timeout (0.5 s) for its old-weight requests to finish, then clean seconds.
    await seconds(7);
    const look = await load.look(step);
    load.endStep(step);

    const baseline = look.windows.get('baseline') ?? [];
    const canary = look.windows.get('canary') ?? [];
    const late = canary.filter((w) => w.excluded?.kind === WEIGHTS_LATE);
    // The step's first seconds are left out, naming the shard and how late its command came…
    expect(late.length).toBeGreaterThanOrEqual(1);
    expect(late[0]?.excluded?.detail).toMatch(/^shard 1's weight command came \d+ ms after the switch's time/);
    expect(baseline.filter((w) => w.excluded?.kind === WEIGHTS_LATE).map((w) => w.startMs)).toEqual(
      late.map((w) => w.startMs),
    );
    // …which did carry the held-back shard's requests by the old weights: the step's measurements
    // keep them, as requests that were sent…
    const sent = look.arms.get('baseline')?.counters.requests ?? 0;
    expect(sent).toBeGreaterThan(0);
    // …and what the judge reads holds none of them: every request it keeps went to the canary.
    const exclusions = exclusionsOf(canary, baseline);
    const judged = (arm: 'baseline' | 'canary') => {
      const m = look.arms.get(arm);
      if (!m) throw new Error(`${arm} measured`);
      return judgedArm(judgeArm(m, look.durationMs, look.windows.get(arm)), arm, exclusions, Number.POSITIVE_INFINITY);
    };
    expect(judged('baseline').requests).toBe(0);
    expect(judged('canary').requests).toBeGreaterThan(0);
    // The seconds after them decide: at least two, all later than every late one.
    const deciding = canary.filter((w) => !w.excluded);
    expect(deciding.length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...deciding.map((w) => w.startMs))).toBeGreaterThan(Math.max(...late.map((w) => w.startMs)));
  }, 60_000);
});
