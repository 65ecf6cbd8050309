/**
 * #14 item 5 (schema side): valid-looking input that used to take gigabytes is refused before
 * anything is allocated for it: a bare `rate: 1e12`, `load --rate 100000000`, 500 and 8 000
 * requests, a 50 MB description, a file of 100 000 list items. Each is exit 2 naming the field, within
 * seconds, with the CLI's peak resident memory under 200 MB (VmHWM of the child); the bounds
 * whose refusal costs nothing to speak of run in-process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figure, runInProcess, runMeasured, STACK_TRACE, upstreamWeight } from '../helpers/faults.js';
import { expectRefused, type Rig, startRig } from './rig.js';

/** Peak resident memory a refused input may cost, MB: the CLI alone starts at about 90. */
const PEAK_MB = 200;

let rig: Rig;
beforeAll(async () => {
  rig = await startRig('memory');
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

/** A request mix of `n` entries, as YAML. */
function requests(n: number): string {
  return Array.from({ length: n }, (_, i) => `\n  - path: /r${i}`).join('');
}

function rawFile(name: string, text: string): string {
  const file = join(rig.dir, name);
  writeFileSync(file, text);
  return file;
}

describe('bounded memory from valid-looking input', () => {
  it.each<{ name: string; inProcess?: boolean; args: () => string[]; says: RegExp }>([
    {
      name: 'rate: 1e12 as a bare number',
      args: () => ['run', rig.scenario({ traffic: '{ rate: 1e12, stepDuration: 1s, warmup: 0s }' })],
      says: /traffic\.rate: expected a rate of at most 12800000\/s/,
    },
    {
      name: 'load --rate 100000000',
      args: () => ['load', `${rig.canary.url}/`, '--rate', '100000000', '-d', '1s'],
      says: /--rate: expected a rate of at most 12800000\/s/,
    },
    {
      name: 'rate above one worker’s ceiling',
      inProcess: true,
      args: () => ['run', rig.scenario({ traffic: '{ rate: 500000/s, stepDuration: 1s, warmup: 0s }' })],
      says: /traffic\.rate: expected at most 200000\/s per worker \(workers: 1\)/,
    },
    {
      name: 'stepDuration: 1e300',
      inProcess: true,
      args: () => ['run', rig.scenario({ traffic: '{ rate: 10/s, stepDuration: 1e300 }' })],
      says: /traffic\.stepDuration: expected a duration of at most 24h, found 1e\+300/,
    },
    {
      name: 'stepDuration: 100000000h',
      inProcess: true,
      args: () => ['run', rig.scenario({ traffic: '{ rate: 10/s, stepDuration: 100000000h }' })],
      says: /traffic\.stepDuration: expected a duration of at most 24h, found "100000000h"/,
    },
    {
      name: '500 requests',
      inProcess: true,
      args: () => ['run', rig.scenario({ requests: requests(500) })],
      says: /requests: expected a list of <= 100 items, found a list of 500 items/,
    },
    {
      name: '8 000 requests',
      args: () => ['run', rig.scenario({ requests: requests(8000) })],
      says: /requests: expected a list of at most 1000 items, found 8000/,
    },
    {
      name: '100 000 list items in a file at the size limit (256 KiB)',
      args: () => [
        'run',
        rawFile('many.yaml', `name: many\nrequests:\n${'  - /\n'.repeat(100_000)}`.slice(0, 256 * 1024)),
      ],
      says: /requests: expected a list of at most 1000 items/,
    },
    {
      name: 'a 50 MB description',
      args: () => ['run', rawFile('big.yaml', `name: big\ndescription: "${'x'.repeat(50 * 1024 * 1024)}"\n`)],
      says: /cannot read the scenario: \d+ bytes, over the limit of 262144/,
    },
  ])('$name: exit 2 naming it, in seconds and under 200 MB', async (c) => {
    const run = c.inProcess ? await runInProcess(c.args()) : await runMeasured(c.args(), { killAfterMs: 20_000 });
    if ('peakRssMb' in run) {
      figure(`5 ${c.name}`, run);
      expect(run.peakRssMb).toBeLessThan(PEAK_MB);
    }
    expectRefused(rig, run, c.says);
  });

  it('a run at the request-mix bound (100 requests) stays in bounded memory', async () => {
    const run = await runMeasured(['run', rig.scenario({ requests: requests(100), steps: '[50, 100]' })], {
      killAfterMs: 30_000,
    });
    figure('5 run with 100 requests', run);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.code).toBe(0);
    expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(100);
    expect(run.peakRssMb).toBeLessThan(300);
    expect(run.wallMs).toBeLessThan(15_000);
  });
});
