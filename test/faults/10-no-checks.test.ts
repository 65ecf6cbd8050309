/**
 * #14 item 10 (the refusal): a scenario whose check list is explicitly empty can fail nothing,
 * so `run` refuses it (exit 2, naming gates.checks) unless --allow-no-checks opts out by name.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figure, runInProcess, runMeasured, STACK_TRACE } from '../helpers/faults.js';
import { expectRefused, type Rig, startRig } from './rig.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig('nochecks');
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

describe('an explicitly empty check list', () => {
  it('is refused: exit 2 naming gates.checks and the flag, nothing sent', async () => {
    const run = await runInProcess(['run', rig.scenario({ gates: '{ checks: [] }' })]);
    expectRefused(rig, run, /gates\.checks: an empty list turns every check off/);
    expect(run.stderr).toContain('--allow-no-checks');
  });

  it('runs with --allow-no-checks, the opt-out named on the command line', async () => {
    const run = await runMeasured(
      ['run', rig.scenario({ gates: '{ checks: [] }', steps: '[100]' }), '--allow-no-checks'],
      {
        killAfterMs: 20_000,
      },
    );
    figure('10 empty checks allowed', run);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.code).not.toBe(2);
    expect(rig.sent()).toBeGreaterThan(0);
    expect(run.wallMs).toBeLessThan(15_000);
  });
});
