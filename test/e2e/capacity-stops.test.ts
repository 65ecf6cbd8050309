/**
 * `canary-gate capacity` runs cut short: by SIGTERM (exit 130, the curve so far) and by a shard
 * killed mid-step (exit 3, no shard left running). Neither outcome rests on timing a neighbour
 * could move (the first waits for any step that passes p99 < 500 ms, one the generator fell
 * behind in being run again), so they run in the late lane, not beside the timed searches of
 * capacity-command.test.ts and capacity-shards.test.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityResult } from '../../src/capacity/result.js';
import { startCli } from '../helpers/cli.js';
import { gone, shardsRunning } from '../helpers/processes.js';
import { useTestServer } from '../helpers/test-server-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-capacity-stops-'));
const server = useTestServer();

/** A search of the test server from 50/s for p99 < 500 ms, with steps of `stepDuration` and no warm-up. */
const search = (stepDuration: string, ...more: string[]): string[] => [
  'capacity',
  `${server.url}/`,
  '--slo',
  'p99<500ms',
  '--start',
  '50/s',
  '--step-duration',
  stepDuration,
  '--warmup',
  '0s',
  ...more,
];

describe('canary-gate capacity', () => {
  it('on SIGTERM mid-search: exits 130 with the curve so far, verdict interrupted, on stdout and in --out', async () => {
    const out = join(dir, 'interrupted');
    const cli = startCli(search('1s', '--json', '--out', out));
    // A passing step's line: a step is measured and the next has started (usually step 1; a step
    // run again after a busy neighbour paused the generator does not change what is checked).
    await cli.stderrUntil(/target step \d+ \(ramp\)\s+\d+\/s: achieved .* → pass/);
    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('SIGTERM: stopping the search');
    const result = JSON.parse(run.stdout) as CapacityResult;
    expect(result.exitCode).toBe(130);
    const [t] = result.targets;
    // The curve so far: measured steps only (the one cut short is not on it), the highest passing
    // rate as a lower bound.
    const steps = t?.steps ?? [];
    const passed = steps.filter((st) => st.outcome === 'pass').map((st) => st.offeredPerSec);
    expect(passed.length).toBeGreaterThan(0);
    expect(t).toMatchObject({ verdict: 'interrupted', capacityPerSec: Math.max(...passed) });
    expect(t?.reason).toBe(`interrupted after ${steps.length} step${steps.length === 1 ? '' : 's'}`);
    expect(JSON.parse(readFileSync(join(out, 'capacity.json'), 'utf8'))).toEqual(result);
    // The human summary goes to stderr with --json.
    expect(run.stderr).toMatch(/target http:\/\/127\.0\.0\.1:\d+: interrupted — capacity \d+\/s \(lower bound\)/);
  });
});

describe('canary-gate capacity --shards', () => {
  it('names a shard killed mid-step and exits 3, leaving no shard running', async () => {
    const cli = startCli(search('20s', '--shards', '2'));
    const [first, second] = await shardsRunning(cli.child.pid as number, 2, 10_000);
    process.kill(second as number, 'SIGKILL');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`(pid ${second}): exited (SIGKILL) before its end line`);
    await gone([first as number, second as number], 5000);
  });
});
