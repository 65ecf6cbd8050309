/**
 * #14 item 9: the small holes. Zero step durations and timeouts, a folder given to recover,
 * negative durations on the command line, `.inf`, port 0, and an nginx reload that fails: each
 * is exit 2 (or 3 for the reload, after the reset) with a message that names the problem, and
 * ends in moments with the canary at 0 %.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figure, runInProcess, runMeasured } from '../helpers/faults.js';
import { expectRefused, type Rig, startRig } from './rig.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig('small');
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

/** The rig's traffic section with one field replaced. */
function traffic(field: string): string {
  const fields: Record<string, string> = {
    rate: '20/s',
    connections: '4',
    warmup: '0s',
    stepDuration: '1s',
    timeout: '1s',
  };
  const [key, value] = field.split(/:\s*/) as [string, string];
  fields[key] = value;
  return `{ ${Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')} }`;
}

describe('small holes', () => {
  it.each([
    {
      name: 'stepDuration: 0s',
      args: () => ['run', rig.scenario({ traffic: traffic('stepDuration: 0s') })],
      says: /traffic\.stepDuration: expected a duration above zero, found "0s"/,
    },
    {
      name: 'timeout: 0ms',
      args: () => ['run', rig.scenario({ traffic: traffic('timeout: 0ms') })],
      says: /traffic\.timeout: expected a duration above zero, found "0ms"/,
    },
    {
      name: 'stepDuration: .inf',
      args: () => ['run', rig.scenario({ traffic: traffic('stepDuration: .inf') })],
      says: /traffic\.stepDuration: expected a finite number, found Infinity/,
    },
    { name: 'recover <a folder>', args: () => ['recover', rig.dir], says: /not a journal file \(a folder\?\)/ },
    {
      name: 'load -d -1s',
      args: () => ['load', `${rig.canary.url}/`, '-r', '2/s', '-d', '-1s'],
      says: /--duration: expected a duration like .*found "-1s"/,
    },
    {
      name: 'load to port 0',
      args: () => ['load', 'http://127.0.0.1:0/', '-r', '2/s', '-d', '1s'],
      says: /url: expected a port from 1 to 65535, found 0/,
    },
    {
      name: 'a target on port 0',
      args: () => [
        'run',
        rig.scenario({
          targets: `\n  baseline: { url: "${rig.baseline.url}" }\n  canary: { url: "http://127.0.0.1:0" }`,
        }),
      ],
      says: /targets\.canary\.url: expected a port from 1 to 65535/,
    },
  ])('$name: exit 2 naming it, nothing sent (in-process)', async (c) => {
    const run = await runInProcess(c.args());
    expectRefused(rig, run, c.says);
  });

  it("an nginx reload that fails reports nginx's error, not its first stderr line, and resets", async () => {
    // A reload that fails the way nginx does: a notice first, the error after it.
    const reload = join(rig.dir, 'failing-reload.js');
    writeFileSync(
      reload,
      `if (process.argv[2] === 'fail') { console.error('nginx: [notice] signal process started'); console.error('nginx: [emerg] unknown directive "weigth" in /etc/nginx/upstream.conf:3'); process.exit(1); }`,
    );
    // Fails for 50 %: step 1 (10 %) applies, step 2 fails, the reset (0 %) applies again.
    const router = `
  type: exec
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(`const w = process.argv[1]; require('child_process').execFileSync(${JSON.stringify(process.execPath)}, [${JSON.stringify(reload)}, w === '50' ? 'fail' : 'ok'], { stdio: 'inherit' }); require('fs').writeFileSync(${JSON.stringify(join(rig.dir, 'weight'))}, w);`)}, "{weight}"]
  timeout: 5s`;
    const run = await runMeasured(['run', rig.scenario({ router })], { killAfterMs: 30_000 });
    figure('9 failing reload', run);
    expect(run.code).toBe(3);
    const text = `${run.stdout}${run.stderr}`;
    expect(text).toContain('[emerg] unknown directive "weigth"');
    expect(text).not.toContain('signal process started');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(rig.dir, 'weight'), 'utf8')).toBe('0');
    expect(run.wallMs).toBeLessThan(15_000);
  });
});
