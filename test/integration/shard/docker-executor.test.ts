/**
 * Shards as containers on the local Docker engine (host networking). The image is the demo image
 * scripts/build-demo-image.sh builds from this machine's node (no registry); this checkout's
 * bin/, dist/ and node_modules are mounted read-only at /app, so the container runs exactly the
 * code under test as `canary-gate shard`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadPlan } from '../../../src/load/plan.js';
import { runSharded, ShardError } from '../../../src/shard/coordinator.js';
import { SHARD_RUN_LABEL } from '../../../src/shard/docker-executor.js';
import { buildDemoImages, checkoutShardExecutor, docker, requireDocker, sideCpus } from '../../helpers/docker.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

// Pinned: in CI to the CPUs off the timed lane's core (sideCpus), else round robin.
const executor = () => checkoutShardExecutor(sideCpus() ? undefined : ['0', '1']);

let server: TestServer;
beforeAll(async () => {
  await requireDocker();
  await buildDemoImages();
  server = await startTestServer();
}, 180_000);
afterAll(async () => {
  await server?.close();
});

const plan = (durationMs: number): LoadPlan => ({
  targets: [{ arm: 'target', url: server.url, weight: 1 }],
  mix: [{ method: 'GET', path: '/', weight: 1 }],
  ratePerSec: 300,
  durationMs,
  connections: 8,
  pipelining: 1,
  workers: 1,
  timeoutMs: 1000,
});

/** Containers of a run, in any state. */
const containersOf = async (runId: string): Promise<string> =>
  docker('ps', '-aq', '--filter', `label=${SHARD_RUN_LABEL}=${runId}`);

describe('sharded load in containers', () => {
  it('runs two shard containers on host networking and merges them exactly; no container is left', async () => {
    const seenBefore = server.seen.length;
    const shards = executor();
    const result = await runSharded(plan(2000), { shards: 2, executor: shards, startDelayMs: 2500 });
    expect(result.executor).toBe('docker');
    expect(result.shards.map((s) => s.id)).toEqual([
      `container canary-gate-shard-${shards.runId}-0`,
      `container canary-gate-shard-${shards.runId}-1`,
    ]);
    expect(result.total.counters.requests).toBe(600);
    expect(server.seen.length - seenBefore).toBe(600);
    expect(await containersOf(shards.runId)).toBe('');
  });

  it('names a shard container killed mid-run, stops the other and removes both', async () => {
    const shards = executor();
    let killed = false;
    // 10 s: the kill ends the run; shard 0 must still be running when the coordinator stops it (with
    // 4 s, a loaded CI run's docker kill came after shard 0 had ended its plan: 'ok', not 'stopped').
    const error = await runSharded(plan(10_000), {
      shards: 2,
      executor: shards,
      startDelayMs: 2500,
      onLine: (line) => {
        if (line.type !== 'interval' || line.shard !== 1 || killed) return;
        killed = true;
        void docker('kill', `canary-gate-shard-${shards.runId}-1`);
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardError);
    expect((error as ShardError).message).toMatch(
      new RegExp(
        `shard 1 \\(container canary-gate-shard-${shards.runId}-1\\): exited \\(code 137\\) before its end line`,
      ),
    );
    expect((error as ShardError).shards[0]?.status).toBe('stopped');
    expect(await containersOf(shards.runId)).toBe('');
  });
});
