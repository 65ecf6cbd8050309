/**
 * #14 item 6: outputs are checked and made before anything is sent. A file where a folder is
 * needed, a folder under /proc, a file under a file: exit 2 naming the path, no request sent,
 * the canary at 0 %, and an end within seconds (a capacity search with --out /proc/nope used to
 * spin at full CPU forever after its load). Those two run as processes; the other refusals
 * in-process, which starts nothing and keeps the suite short.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figure, runInProcess, runMeasured } from '../helpers/faults.js';
import { expectRefused, type Rig, startRig } from './rig.js';

let rig: Rig;
let aFile: string;
beforeAll(async () => {
  rig = await startRig('outputs');
  aFile = join(rig.dir, 'a-file');
  writeFileSync(aFile, 'not a folder\n');
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

interface Case {
  name: string;
  args: () => string[];
  path: () => string;
  /** Run as a process: the cases that used to spin or crash the process itself. */
  spawn?: boolean;
}

const CASES: Case[] = [
  { name: 'run --out <a file>', args: () => ['run', rig.scenario(), '--out', aFile], path: () => aFile },
  {
    name: 'run --out /proc/nope',
    args: () => ['run', rig.scenario(), '--out', '/proc/nope'],
    path: () => '/proc/nope',
  },
  {
    name: 'outputs.dir under a file',
    args: () => ['run', rig.scenario({ outputs: `{ dir: "${aFile}/out" }` })],
    path: () => `${aFile}/out`,
  },
  {
    name: 'baseline record --out <a file>/x.json',
    args: () => ['baseline', 'record', rig.scenario(), '--out', `${aFile}/x.json`],
    path: () => `${aFile}/x.json`,
  },
  {
    name: 'baseline record --out <a folder>',
    args: () => ['baseline', 'record', rig.scenario(), '--out', rig.dir],
    path: () => rig.dir,
  },
  {
    name: 'capacity --out /proc/nope',
    args: () => ['capacity', `${rig.canary.url}/`, '--slo', 'p99<50ms', '--out', '/proc/nope'],
    path: () => '/proc/nope',
    spawn: true,
  },
  {
    name: 'capacity --out <a file>',
    args: () => ['capacity', `${rig.canary.url}/`, '--slo', 'p99<50ms', '--out', aFile],
    path: () => aFile,
  },
];

describe('outputs are checked before anything is sent', () => {
  it.each(CASES)('$name: exit 2 naming the path, nothing sent, canary at 0 %', async (c) => {
    const run = c.spawn ? await runMeasured(c.args(), { killAfterMs: 15_000 }) : await runInProcess(c.args());
    if ('peakRssMb' in run) {
      figure(`6 ${c.name}`, run);
      expect(run.killed).toBe(false);
    }
    expectRefused(rig, run, /cannot write there .*nothing was sent/);
    expect(run.stderr).toContain(c.path());
  });
});
