import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistogram, type Histogram } from '../../../src/hdr/histogram.js';
import { type GeneratorLimitReason, generatorLimitAdvice } from '../../../src/load/generator-limit.js';
import { armFromWire } from '../../../src/load/merge.js';
import type { LoadPlan } from '../../../src/load/plan.js';
import { runSharded, ShardError, startSharded } from '../../../src/shard/coordinator.js';
import { processExecutor } from '../../../src/shard/process-executor.js';
import type { ShardLine } from '../../../src/shard/protocol.js';
import { START_LAG_LIMIT_MS, startLagLimitMs } from '../../../src/shard/shard.js';
import { alive, buckets } from '../../helpers/processes.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const HOG = new URL('../../helpers/cpu-hog.mjs', import.meta.url).href;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(() => ({ delayMs: 1 }));
});
afterAll(async () => {
  await server.close();
});

const planFor = (url: string, durationMs = 2000, ratePerSec = 300): LoadPlan => ({
  targets: [{ arm: 'target', url, weight: 1 }],
  mix: [
    { name: 'a', method: 'GET', path: '/a', weight: 1 },
    { name: 'b', method: 'GET', path: '/b', weight: 1 },
  ],
  ratePerSec,
  durationMs,
  connections: 8,
  pipelining: 1,
  workers: 1,
  timeoutMs: 1000,
});

describe('sharded load over local processes', () => {
  it('merges two shards exactly: counts add up and the merged histogram holds every sample of every shard', async () => {
    const seenBefore = server.seen.length;
    const lines: ShardLine[] = [];
    // 600 requests in 1 s: the counts and the histogram are checked, not how long it took.
    const result = await runSharded(planFor(server.url, 1000, 600), {
      shards: 2,
      executor: processExecutor(),
      startDelayMs: 1000,
      onLine: (line) => lines.push(line),
    });
    expect(result.shards.map((s) => s.status)).toEqual(['ok', 'ok']);
    // The merged schedule is the planned one: 600/s for 1 s.
    expect(result.scheduled).toBe(600);
    expect(result.total.counters.requests).toBe(600);
    expect(result.total.counters.requests).toBe(result.shards.reduce((s, x) => s + x.requests, 0));
    expect(server.seen.length - seenBefore).toBe(result.total.counters.sent);
    expect(result.shards.every((s) => s.requests > 0)).toBe(true);

    // Every sample every shard sent, second by second, in one histogram: the merged total equals it.
    const everySample = createHistogram();
    const byEndpoint = new Map<string, Histogram>();
    for (const line of lines) {
      if (line.type !== 'interval') continue;
      for (const wire of line.arms) {
        const arm = armFromWire(wire);
        everySample.add(arm.latency);
        for (const e of arm.endpoints) {
          const h = byEndpoint.get(e.name) ?? createHistogram();
          h.add(e.latency);
          byEndpoint.set(e.name, h);
        }
      }
    }
    expect(everySample.totalCount).toBe(600);
    expect(buckets(result.total.latency)).toEqual(buckets(everySample));
    for (const p of [50, 90, 99, 99.9, 100])
      expect(result.total.latency.getValueAtPercentile(p)).toBe(everySample.getValueAtPercentile(p));
    for (const e of result.total.endpoints)
      expect(buckets(e.latency)).toEqual(buckets(byEndpoint.get(e.name) as Histogram));
    expect(result.intervals.target?.reduce((s, p) => s + p.requests, 0)).toBe(600);
  });

  it('names a shard killed mid-run, stops the other and gives no result', async () => {
    const pids: number[] = [];
    let killed = false;
    const run = runSharded(planFor(server.url, 4000), {
      shards: 2,
      executor: processExecutor(),
      startDelayMs: 1000,
      onLine: (line) => {
        if (line.type === 'hello') pids[line.shard] = line.pid;
        if (line.type === 'interval' && line.shard === 1 && !killed) {
          killed = true;
          process.kill(pids[1] as number, 'SIGKILL');
        }
      },
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardError);
    expect((error as ShardError).message).toMatch(
      /1 of 2 shards failed:\n {2}- shard 1 \(pid \d+\): exited \(SIGKILL\)/,
    );
    expect((error as ShardError).shards.map((s) => s.status)).toEqual(['stopped', 'failed']);
    expect(pids.every((pid) => !alive(pid))).toBe(true);
  });

  it('names a hung shard after its silence deadline and ends it', async () => {
    const pids: number[] = [];
    let frozen = false;
    const error = await runSharded(planFor(server.url, 4000), {
      shards: 2,
      executor: processExecutor(),
      startDelayMs: 1000,
      silenceMs: 1500,
      onLine: (line) => {
        if (line.type === 'hello') pids[line.shard] = line.pid;
        if (line.type === 'interval' && line.shard === 0 && !frozen) {
          frozen = true;
          process.kill(pids[0] as number, 'SIGSTOP');
        }
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardError);
    expect((error as ShardError).message).toMatch(/shard 0 \(pid \d+\): hung: nothing on its output for \d+ s/);
    expect(pids.every((pid) => !alive(pid))).toBe(true);
  });

  it('stops every shard on the signal and returns what they measured, marked aborted', async () => {
    const controller = new AbortController();
    const seenBefore = server.seen.length;
    const result = await runSharded(planFor(server.url, 10_000), {
      shards: 2,
      executor: processExecutor(),
      startDelayMs: 1000,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(result.aborted).toBe(true);
    expect(result.shards.map((s) => s.status)).toEqual(['stopped', 'stopped']);
    expect(result.total.counters.requests).toBeLessThan(3000);
    expect(server.seen.length - seenBefore).toBe(result.total.counters.sent);
  });

  it('switches every shard to new weights at the same moment (a step boundary)', async () => {
    const seenBefore = server.seen.length;
    const plan: LoadPlan = {
      ...planFor(server.url, 2500),
      targets: [
        { arm: 'baseline', url: `${server.url}/baseline`, weight: 1 },
        { arm: 'canary', url: `${server.url}/canary`, weight: 0 },
      ],
    };
    let switched = false;
    const run = startSharded(plan, {
      shards: 2,
      executor: processExecutor(),
      startDelayMs: 1000,
      onProgress: (progress) => {
        if (switched) return;
        switched = true;
        expect(progress.arms.canary?.requests ?? 0).toBe(0);
        run.setWeights({ baseline: 0, canary: 1 });
      },
    });
    const result = await run.done;
    const seen = server.seen.slice(seenBefore);
    const canary = result.arms.find((a) => a.arm === 'canary');
    expect(canary?.counters.sent).toBe(seen.filter((r) => r.url.startsWith('/canary/')).length);
    expect(canary?.counters.sent).toBeGreaterThan(0);
    // Both shards switch at one moment: once the first canary request came, baseline requests
    // are the few sent around the switch (a timer a busy event loop fires late), not a shard's
    // whole share.
    const firstCanary = seen.findIndex((r) => r.url.startsWith('/canary/'));
    const baselineAfter = seen.slice(firstCanary).filter((r) => r.url.startsWith('/baseline/')).length;
    expect(seen.slice(0, firstCanary).every((r) => r.url.startsWith('/baseline/'))).toBe(true);
    expect(baselineAfter).toBeLessThan(seen.length * 0.1);
  });

  it('names a shard that breaks the protocol or cannot start', async () => {
    const liar = processExecutor({
      argv: (launch) => [
        process.execPath,
        '-e',
        // A shard of an older image: its lines carry another protocol version.
        `console.log(JSON.stringify({ v: 1, shard: ${launch.index}, type: "hello" }))`,
      ],
    });
    const lied = await runSharded(planFor(server.url), { shards: 2, executor: liar, startDelayMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(lied).toBeInstanceOf(ShardError);
    expect((lied as ShardError).message).toMatch(
      /shard \d \(pid \d+\): protocol: .*expected protocol version 2, found 1/,
    );
    const missing = processExecutor({ argv: () => ['/nonexistent/canary-gate-shard'] });
    const absent = await runSharded(planFor(server.url), { shards: 2, executor: missing, startDelayMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect((absent as ShardError).message).toMatch(
      /2 of 2 shards failed:\n {2}- shard 0 \(\(not started\)\): could not start: spawn \/nonexistent\/canary-gate-shard ENOENT/,
    );
  });

  it('names the shard whose own generator was the limit', async () => {
    // Shard 1's thread is taken 40 ms of every 50 ms by a CPU hog preloaded into it.
    const starved = processExecutor({
      argv: (launch, _file, standard) =>
        launch.index === 1
          ? ['/usr/bin/env', `NODE_OPTIONS=--import=${HOG}`, 'CANARY_GATE_TEST_CPU_HOG=40/50', ...standard]
          : undefined,
    });
    const result = await runSharded(planFor(server.url), { shards: 2, executor: starved, startDelayMs: 1000 });
    expect(result.shards[1]?.limited).toBe(true);
    expect(result.shards[1]?.reasons.join(' ')).toMatch(/generator/);
    expect(result.generator.limited).toBe(true);
    // Shard 0 may be limited too on a busy machine; the starved one must be named.
    expect(result.generator.reasons.some((r) => r.text.startsWith('shard 1: '))).toBe(true);
  });

  it('starts the shards together once every one is up: a shard that comes up a second late moves the common start', async () => {
    // Shard 1 comes up a second after it is launched, past the start 0.5 s away that was asked
    // for. Started at that time, its sends would all come that far behind the other shard's (a
    // capacity step of 600 ms once passed 120/s against a 100/s service that way).
    const late = processExecutor({
      argv: (launch, _file, standard) =>
        launch.index === 1 ? ['/bin/sh', '-c', 'sleep 1; exec "$@"', 'sh', ...standard] : undefined,
    });
    const askedFor = Date.now() + 500;
    const hellos: number[] = [];
    const handle = startSharded(planFor(server.url, 1000), {
      shards: 2,
      executor: late,
      startDelayMs: 500,
      onLine: (line) => {
        if (line.type === 'hello') hellos[line.shard] = Date.now();
      },
    });
    // Known once every shard is up, and final from then on.
    await handle.started;
    const told = handle.startAtEpochMs;
    expect(hellos).toHaveLength(2);
    const result = await handle.done;
    expect(handle.startAtEpochMs).toBe(told);
    expect(hellos[1]).toBeGreaterThan(askedFor);
    expect(told).toBeGreaterThan(hellos[1] as number);
    for (const s of result.shards) {
      expect(s.startLagMs, `shard ${s.index}`).toBeLessThanOrEqual(startLagLimitMs(1000));
      expect(s.reasons.join(' '), `shard ${s.index}`).not.toMatch(/common start/);
    }
    expect(result.generator.reasons.some((r) => r.code === 'start-lag')).toBe(false);
    expect(result.total.counters.requests).toBe(300);
  });

  it('names a shard that never comes up, and stops the one that did, waiting for the start', async () => {
    const seenBefore = server.seen.length;
    const never = processExecutor({
      argv: (launch) => (launch.index === 1 ? ['/bin/sh', '-c', 'exec sleep 60'] : undefined),
    });
    const error = await runSharded(planFor(server.url, 1000), {
      shards: 2,
      executor: never,
      startDelayMs: 500,
      // Shard 0 is a real CLI: niced beside CI's other files its start once took longer than
      // 1.5 s, and it was the one called late ("2 of 2 shards failed").
      silenceMs: 4000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardError);
    expect((error as ShardError).message).toMatch(
      /^1 of 2 shards failed:\n {2}- shard 1 \(pid \d+\): no hello within \d+ s of its launch: it did not come up$/,
    );
    // Shard 0 said hello and waited: stopped, not called hung, and it sent nothing.
    expect((error as ShardError).shards.map((s) => s.status)).toEqual(['stopped', 'failed']);
    expect(server.seen.length).toBe(seenBefore);
  });

  it('calls a shard without a control channel that starts its schedule late generator-limited', async () => {
    // As a Kubernetes pod: no commands, so each shard starts at the plan file's time however late
    // it came up, and the shards never offered the rate together.
    const late = processExecutor({
      control: 'none',
      argv: (launch, _file, standard) =>
        launch.index === 1 ? ['/bin/sh', '-c', 'sleep 1; exec "$@"', 'sh', ...standard] : undefined,
    });
    const result = await runSharded(planFor(server.url, 1000), { shards: 2, executor: late, startDelayMs: 500 });
    const shard = result.shards[1];
    expect(shard?.startLagMs).toBeGreaterThan(START_LAG_LIMIT_MS);
    expect(shard?.limited).toBe(true);
    expect(shard?.reasons[0]).toMatch(/^the shard started its schedule \d+ ms after the shards' common start/);
    // A shard gives the reason exactly when its own start was past the limit (shard 0, launched at
    // once, is on time on a quiet machine; beside CI's other files it has been late too).
    for (const s of result.shards) {
      expect(
        s.reasons.some((r) => r.includes('common start')),
        `shard ${s.index}`,
      ).toBe(s.startLagMs > startLagLimitMs(1000));
    }
    expect(result.generator.limited).toBe(true);
    const lag = result.generator.reasons.find((r) => r.code === 'start-lag' && r.text.startsWith('shard 1: '));
    expect(lag?.text).toMatch(/^shard 1: the shard started its schedule \d+ ms after/);
    // Its reason, not a warning as well; and the advice is about the start, not more threads.
    expect(result.generator.warnings.some((w) => w.startsWith('shard 1 '))).toBe(false);
    expect(generatorLimitAdvice({ ...result.generator, reasons: [lag as GeneratorLimitReason] }, 1)).toMatch(
      /^start the shards further ahead/,
    );
  });
});
