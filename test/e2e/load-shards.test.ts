import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { childrenOf, gone } from '../helpers/processes.js';
import { useTestServer } from '../helpers/test-server-fixture.js';

const server = useTestServer();

describe('canary-gate load --shards', () => {
  it('splits the load over two processes and reports the exact merge and each shard', async () => {
    const run = await runCli(['load', server.url, '-r', '400/s', '-d', '2s', '-c', '8', '--shards', '2', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.requests).toBe(800);
    expect(out.shards.map((s: { status: string }) => s.status)).toEqual(['ok', 'ok']);
    expect(out.shards.reduce((s: number, x: { requests: number }) => s + x.requests, 0)).toBe(800);
    expect(server.seen).toHaveLength(800);
  });

  it('refuses a plan that cannot be split, naming the flag, and sends nothing', async () => {
    const run = await runCli(['load', server.url, '-r', '100/s', '-d', '1s', '-c', '2', '--shards', '3']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--connections: expected at least one per worker thread of each shard \(3 × 1\)/);
    const zero = await runCli(['load', server.url, '-r', '100/s', '-d', '1s', '--shards', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--shards: expected an integer from 1 to 256, found 0/);
    expect(server.seen).toHaveLength(0);
  });

  it('stops every shard on SIGTERM (exit 130), and a killed coordinator leaves no shard sending', async () => {
    const stopped = startCli(['load', server.url, '-r', '200/s', '-d', '30s', '--shards', '2', '--json']);
    await stopped.stderrUntil(/1\/30s/);
    const shards = childrenOf(stopped.child.pid as number);
    expect(shards).toHaveLength(2);
    stopped.child.kill('SIGTERM');
    const run = await stopped.done;
    expect(run.code).toBe(130);
    expect(JSON.parse(run.stdout)).toMatchObject({ aborted: true });
    await gone(shards, 5000);

    const killed = startCli(['load', server.url, '-r', '200/s', '-d', '30s', '--shards', '2']);
    await killed.stderrUntil(/1\/30s/);
    const orphans = childrenOf(killed.child.pid as number);
    expect(orphans).toHaveLength(2);
    killed.child.kill('SIGKILL');
    await killed.done;
    // Their stdin closed with the coordinator: they stop, in-flight requests finish, they exit.
    await gone(orphans, 5000);
  });
});
