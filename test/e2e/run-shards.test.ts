/**
 * `canary-gate run --shards N --executor X` as a user runs it, through a real nginx: flags that
 * cannot work are refused before anything is sent or any weight moves (exit 2 naming the flag),
 * a signal mid-step resets nginx, exits 130 and leaves no shard process behind, and a shard that
 * falls silent is named, nginx reset, exit 3. The staged canary from shard containers and its
 * verdicts: test/integration/shard/run-docker.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type StartedCli, startCli, whileRunning } from '../helpers/cli.js';
import { nginxRouterYaml, startNginx, type TestNginx } from '../helpers/nginx.js';
import { childrenOf, gone } from '../helpers/processes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let baseline: TestServer;
let canary: TestServer;
let nginx: TestNginx;
const dir = mkdtempSync(join(tmpdir(), 'canary-gate-run-shards-'));
let file: string;

beforeAll(async () => {
  baseline = await startTestServer();
  canary = await startTestServer();
  nginx = await startNginx(`127.0.0.1:${baseline.port}`, `127.0.0.1:${canary.port}`);
  file = join(dir, 'canary.yaml');
  writeFileSync(
    file,
    `name: sharded run
targets:
  baseline: { url: "${baseline.url}" }
  canary: { url: "${canary.url}" }
traffic: { rate: 100/s, connections: 4, warmup: 200ms, stepDuration: 30s, timeout: 2s }
requests: [{ path: /api }]
steps: [10, 100]
${nginxRouterYaml(nginx)}
gates:
  checks:
    - { metric: errorRate, max: 5%, critical: true }
`,
  );
});
afterAll(async () => {
  await nginx?.stop();
  await Promise.all([baseline?.close(), canary?.close()]);
});

const canaryInUpstream = () => readFileSync(nginx.upstreamFile, 'utf8').includes(`127.0.0.1:${canary.port}`);
const out = () => join(dir, 'out');

/** Requests of the scenario's load (/api) either service has had: not nginx's or the router's checks (/). */
/**
 * Resolve once step 1 is under way: its weight announced and the shards' load reaching the
 * services (the shards start only once the weight is applied). Waiting for the step's first
 * progress line ("1s/") instead took a second more.
 */
async function midStep1(run: StartedCli): Promise<void> {
  const from = [baseline.seen.length, canary.seen.length] as const;
  const seen = await run.stderrUntil(/step 1: 10% canary/);
  const isLoad = (r: { url: string }) => r.url === '/api';
  await whileRunning(
    Promise.race([baseline.arrival(isLoad, from[0]), canary.arrival(isLoad, from[1])]),
    run.child,
    15_000,
    () => `no request 15 s into step 1:\n${seen}`,
  );
}

describe('canary-gate run --shards', () => {
  it('says --shards and --executor in run --help, with an example', async () => {
    const help = await runCli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--shards\s+split the rollout's load over N generator processes or containers/);
    expect(help.stdout).toMatch(/--executor\s+what runs the shards/);
    expect(help.stdout).toContain('canary-gate run canary.yaml --shards 2');
  });

  it('refuses shards it cannot run, naming the flag and the field; nothing is sent', async () => {
    // nginx's own start was checked through it: only what the runs send counts.
    const before = baseline.seen.length + canary.seen.length;
    const zero = await runCli(['run', file, '--out', out(), '--shards', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--shards: expected an integer from 1 to 256, found 0');
    // 4 connections cannot give each of 5 shards' one worker thread one.
    const many = await runCli(['run', file, '--out', out(), '--shards', '5']);
    expect(many.code).toBe(2);
    expect(many.stderr).toContain(`--shards 5: ${file}: traffic.connections: expected at least one per worker thread`);
    expect(many.stderr).toContain('nothing was sent');
    // An image the local engine does not hold is found before the router moves, not by a dead shard.
    const image = await runCli(['run', file, '--out', out(), '--shards', '2', '--executor', 'docker'], {
      CANARY_GATE_SHARD_IMAGE: 'canary-gate-no-such-image:none',
    });
    expect(image.code).toBe(2);
    expect(image.stderr).toContain(
      '--executor docker: image canary-gate-no-such-image:none is not on the local engine (shards never pull)',
    );
    const engine = await runCli(['run', file, '--out', out(), '--shards', '2', '--executor', 'docker'], {
      DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}`,
    });
    expect(engine.code).toBe(2);
    expect(engine.stderr).toMatch(/--executor docker: docker: .*; nothing was sent/);
    expect(baseline.seen.length + canary.seen.length).toBe(before);
    expect(canaryInUpstream()).toBe(false);
  });

  it('on SIGTERM mid-step: stops both shard processes, resets nginx to 0 % canary, exits 130', async () => {
    const before = baseline.seen.length + canary.seen.length;
    const run = startCli(['run', file, '--out', out(), '--shards', '2']);
    await midStep1(run);
    expect(canaryInUpstream()).toBe(true);
    const shards = childrenOf(run.child.pid as number);
    expect(shards).toHaveLength(2);
    // The load reached the services from the shard processes.
    expect(baseline.seen.length + canary.seen.length).toBeGreaterThan(before);
    run.child.kill('SIGTERM');
    const done = await run.done;
    expect(done.code).toBe(130);
    expect(canaryInUpstream()).toBe(false);
    await gone(shards, 5000);
  });

  it('a shard that falls silent mid-step is named: nginx back at 0 % canary, exit 3', async () => {
    const run = startCli(['run', file, '--out', out(), '--shards', '2', '--json']);
    await midStep1(run);
    const shards = childrenOf(run.child.pid as number);
    expect(shards).toHaveLength(2);
    // Frozen, not dead: it holds its connections and prints nothing (the coordinator's silence bound is 5 s).
    const frozen = shards[1] as number;
    process.kill(frozen, 'SIGSTOP');
    const done = await run.done;
    expect(done.code).toBe(3);
    const result = JSON.parse(done.stdout);
    expect(result.decision).toBe('aborted');
    expect(result.reason).toMatch(new RegExp(`shard \\d \\(pid ${frozen}\\): hung: nothing on its output for \\d+ s`));
    expect(canaryInUpstream()).toBe(false);
    await gone(shards, 5000);
  });
});
