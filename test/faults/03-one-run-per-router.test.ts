/**
 * #14 item 3: two runs on one router target. The second is refused at once (exit 2, naming the
 * run that holds it) while the first goes on and ends at 0 %; a lock left by a killed run is
 * taken over when its journal settled, and refused with the way to `recover` when it did not.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lockFile, routerTarget } from '../../src/canary/routers/lock.js';
import { figure, runMeasured, STACK_TRACE, startMeasured, upstreamWeight } from '../helpers/faults.js';
import { type Rig, startRig } from './rig.js';

let rig: Rig;
let lockDir: string;
let env: Record<string, string>;
beforeAll(async () => {
  rig = await startRig('lock');
  lockDir = join(rig.dir, 'locks');
  env = { CANARY_GATE_LOCK_DIR: lockDir };
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

/** A pid that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const run = startMeasured(['--version']);
  const pid = run.child.pid as number;
  await run.done;
  return pid;
}

/** Plant the lock a killed run would have left for this rig's nginx target. */
function plantLock(pid: number, journal: string): void {
  mkdirSync(lockDir, { recursive: true });
  const target = routerTarget({
    type: 'nginx',
    upstreamFile: rig.nginx.upstreamFile,
    upstreamName: rig.nginx.upstreamName,
    reload: rig.nginx.reload,
  });
  writeFileSync(
    lockFile(lockDir, target as string),
    JSON.stringify({
      pid,
      hostname: hostname(),
      run: 'killed-run',
      journal,
      startedAt: '2026-11-30T00:00:00Z',
      target,
    }),
  );
}

describe('one run per router target', () => {
  it('refuses a second run on the same nginx upstream file while the first holds it', async () => {
    const first = startMeasured(
      [
        'run',
        rig.scenario({
          steps: '[10, 100]',
          traffic: '{ rate: 20/s, connections: 4, warmup: 0s, stepDuration: 2s, timeout: 1s }',
        }),
      ],
      {
        env,
        killAfterMs: 30_000,
      },
    );
    await first.stderrUntil(/step 1: 10% canary/);
    const second = await runMeasured(['run', rig.scenario()], { env, killAfterMs: 10_000 });
    figure('3 second run refused', second);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/is in use by run \d{8}-\d{6}-[0-9a-f]{4} \(pid \d+/);
    expect(second.stderr).toContain(rig.nginx.upstreamFile);
    expect(second.stderr).not.toMatch(STACK_TRACE);
    expect(second.wallMs).toBeLessThan(5000);
    const done = await first.done;
    figure('3 first run', done);
    expect(done.code).toBe(0);
    // The first run promoted (its last weight is 100) and its lock is gone: a third run may start.
    expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(100);
    expect(readdirSync(lockDir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it("takes over a killed run's lock when that run's journal settled", async () => {
    const journal = join(rig.dir, 'settled.jsonl');
    writeFileSync(
      journal,
      `${JSON.stringify({ event: 'start', run: 'killed-run', time: 't', scenarioFile: 'x', router: 'nginx', digest: 'd' })}\n${JSON.stringify({ event: 'reset-done', run: 'killed-run', time: 't' })}\n`,
    );
    plantLock(await deadPid(), journal);
    const run = await runMeasured(['run', rig.scenario({ steps: '[10]' })], { env, killAfterMs: 20_000 });
    figure('3 stale lock taken over', run);
    expect(run.stderr).not.toMatch(/in use|held by/);
    expect(run.code).toBe(0);
    expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(10);
  });

  it("refuses a killed run's lock when its journal shows the canary may still hold traffic", async () => {
    const journal = join(rig.dir, 'unsettled.jsonl');
    writeFileSync(
      journal,
      `${JSON.stringify({ event: 'start', run: 'killed-run', time: 't', scenarioFile: 'x', router: 'nginx', digest: 'd' })}\n${JSON.stringify({ event: 'weight', step: 0, weight: 25, run: 'killed-run', time: 't' })}\n`,
    );
    plantLock(await deadPid(), journal);
    const run = await runMeasured(['run', rig.scenario()], { env, killAfterMs: 10_000 });
    figure('3 unsettled stale lock', run);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ended without resetting its router');
    expect(run.stderr).toContain(`canary-gate recover ${journal}`);
    expect(rig.sent()).toBe(0);
    expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(0);
    expect(run.wallMs).toBeLessThan(5000);
  });
});
