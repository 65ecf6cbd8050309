/**
 * #14 item 1: a response body that dribbles forever. The per-request timeout bounds the whole
 * exchange, not the gap between chunks: `load --rate 2/s -d 2s -t 1s` against a server writing
 * a byte every 200 ms ends in about 3 s with every request a timeout, and a staged run whose
 * canary dribbles rolls back at step 1 with the canary back at 0 %.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figure, runMeasured, STACK_TRACE, upstreamWeight } from '../helpers/faults.js';
import { type Rig, startRig } from './rig.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig('dribble');
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

describe('a body that never ends', () => {
  it('load -t 1s: every request times out at 1 s and the command ends on time', async () => {
    rig.canaryReply = () => ({ dribbleMs: 200 });
    const run = await runMeasured(
      ['load', `${rig.canary.url}/`, '--rate', '2/s', '-d', '2s', '-t', '1s', '--json', '-q'],
      {
        killAfterMs: 20_000,
      },
    );
    figure('1 load against a dribbling body', run);
    expect(run.killed).toBe(false);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    const summary = JSON.parse(run.stdout) as { requests: number; errors: number; latencyMs: { max: number } };
    expect(summary.requests).toBeGreaterThanOrEqual(3);
    expect(summary.errors).toBe(summary.requests);
    // Recorded at the timeout, not at however long the body went on.
    expect(summary.latencyMs.max).toBeLessThan(1500);
    expect(run.wallMs).toBeLessThan(2000 + 1000 + 3000);
  });

  it('run: a dribbling canary fails its step (timeouts are errors) and the router is reset', async () => {
    rig.canaryReply = (req) => (req.url === '/api' ? { dribbleMs: 200 } : {});
    const run = await runMeasured(['run', rig.scenario()], { killAfterMs: 30_000 });
    figure('1 run against a dribbling canary', run);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ROLLBACK: step \d \(\d+%\)/);
    expect(run.stdout).not.toContain('PROMOTE');
    expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(0);
    // One 1 s step, a 1 s timeout, the reset: far from "indefinitely".
    expect(run.wallMs).toBeLessThan(10_000);
  });
});
