/**
 * `canary-gate regress --shards N` end to end: the built CLI as a process, two builds as local
 * processes (scripts/demo-image/service.mjs), each round's load from shard processes.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/run-result.js';
import { runCli, startCli } from '../helpers/cli.js';
import { gone, shardsRunning } from '../helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-regress-shards-'));
const SERVICE = fileURLToPath(new URL('../../scripts/demo-image/service.mjs', import.meta.url));
const BUILDS = ['--baseline-cmd', `node ${SERVICE}`, '--candidate-cmd', `env EXTRA_DELAY_MS=20 node ${SERVICE}`];

/** regress of the two builds, 2 rounds, each round's load from 2 shard processes; `load` sets the rest. */
const sharded = (...load: string[]): string[] => [
  'regress',
  ...BUILDS,
  '--port',
  '0',
  '--rounds',
  '2',
  ...load,
  '--shards',
  '2',
  '--out',
  dir,
  '--json',
];

describe('canary-gate regress --shards', () => {
  it("fails the slower build with each round's load from 2 shard processes, merged exactly", async () => {
    // 2 rounds × 2 builds × (200 ms warm-up + 500 ms) at 400/s: each shard sends 200/s. Each
    // build is 20 ms slower or not: 200 requests per arm and round decide p50 at about 5 ×.
    const run = await runCli(sharded('--duration', '500ms', '--warmup', '200ms', '--rate', '400/s'));
    expect(run.code, run.stderr).toBe(1);
    const result = JSON.parse(run.stdout) as RunResult;
    expect(result.router).toContain('load from 2 shards (process)');
    // Every arm of every round holds both shards' halves: 400/s for 500 ms.
    const counts = result.regress?.rounds.flatMap((r) => Object.values(r.arms).map((a) => a?.requests));
    expect(counts).toEqual([200, 200, 200, 200]);
    for (const h of result.preflight) await expect(fetch(h.url)).rejects.toThrow();
  });

  it('names a shard killed mid-round, exits 3 and stops both builds and every shard', async () => {
    const cli = startCli(sharded('--duration', '20s', '--rate', '100/s'));
    const [first, second] = await shardsRunning(cli.child.pid as number, 2, 15_000);
    process.kill(first as number, 'SIGKILL');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(3);
    const result = JSON.parse(run.stdout) as RunResult;
    // The other shard, stopped at once, may still have been starting (then SIGTERM ends it too).
    expect(result.reason).toMatch(/^aborted: [12] of 2 shards failed:\n {2}- shard \d /);
    expect(result.reason).toContain(`(pid ${first}): exited (SIGKILL) before its end line`);
    expect(result.steps).toEqual([]);
    expect(result.preflight).toHaveLength(2);
    for (const h of result.preflight) await expect(fetch(h.url)).rejects.toThrow();
    await gone([first as number, second as number], 5000);
  });

  it('refuses a load that cannot be split, naming the flag or the field, with nothing started or written', async () => {
    const out = join(dir, 'refused');
    const marker = join(dir, 'started');
    const builds = ['--baseline-cmd', `touch ${marker}`, '--candidate-cmd', `touch ${marker}`, '--out', out];
    const connections = await runCli(['regress', ...builds, '--connections', '2', '--shards', '3']);
    expect(connections.code).toBe(2);
    expect(connections.stderr).toContain(
      '--shards 3: --connections: expected at least one per worker thread of each shard (3 × 1), found 2',
    );
    const zero = await runCli(['regress', ...builds, '--shards', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--shards: expected an integer from 1 to 256, found 0');
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });
});
