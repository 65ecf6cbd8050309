/**
 * #14 item 7: a canary that fails every request cannot be promoted. With only a p99 check and
 * `inconclusive: continue`, a canary resetting every connection used to end "PROMOTE … score
 * 0/10"; failed requests now count in the latency check (as slower than any response) and a
 * score under passScore is never GO: the run rolls back at step 1, exit 1, canary at 0 %.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figure, runMeasured, STACK_TRACE, upstreamWeight } from '../helpers/faults.js';
import { type Rig, startRig } from './rig.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig('failing');
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

describe('a canary failing every request', () => {
  it('only a p99 check and inconclusive: continue: rolled back at step 1, never promoted', async () => {
    rig.canaryReply = () => ({ destroy: true });
    const gates = `
  checks:
    - { metric: p99, max: 50ms }
  statistics: { minSamples: 10, inconclusive: continue }`;
    const run = await runMeasured(['run', rig.scenario({ gates })], { killAfterMs: 30_000 });
    figure('7 canary resetting every connection', run);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('PROMOTE');
    expect(run.stdout).toMatch(
      /ROLLBACK: step 1 \(\d+%\).*canary p99 .* exceeds 50 ms; \d+ of \d+ canary requests failed without a response/,
    );
    expect(run.stdout).toMatch(/score 0\/10/);
    expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(0);
    expect(run.wallMs).toBeLessThan(10_000);
  });
});
