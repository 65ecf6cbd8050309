/**
 * #14 item 2 (client side): an error the HTTP client raises before anything reaches the wire
 * (here undici refusing a header value past Latin-1, which `load -H` passes through) reaches
 * the run as an error: every request is counted failed and the command ends on time, instead
 * of hanging on an unhandled rejection. A scenario cannot carry such a value (the schema
 * refuses it, naming the field).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figure, runInProcess, runMeasured, STACK_TRACE } from '../helpers/faults.js';
import { expectRefused, type Rig, startRig } from './rig.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig('client');
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

describe('errors the client raises', () => {
  it('load -H with a value the client refuses: every request an error, the command ends on time', async () => {
    const run = await runMeasured(
      ['load', `${rig.canary.url}/`, '--rate', '10/s', '-d', '1s', '-H', 'x-price: 5 €', '--json', '-q'],
      { killAfterMs: 15_000 },
    );
    figure('2 client-side refusal', run);
    expect(run.killed).toBe(false);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { requests: number; errors: number };
    expect(summary.requests).toBeGreaterThanOrEqual(8);
    expect(summary.errors).toBe(summary.requests);
    expect(rig.canary.seen).toHaveLength(0);
    expect(run.wallMs).toBeLessThan(5000);
  });

  it('the same value in a scenario is refused by the schema, naming the field', async () => {
    const file = rig.scenario({ requests: '\n  - path: /api\n    headers: { x-price: "5 €" }' });
    const run = await runInProcess(['run', file]);
    expectRefused(rig, run, /requests\[0\]\.headers\.x-price: expected a header value of Latin-1 characters/);
  });
});
