/**
 * #14 item 2 (schema side): a request path with a space, or a secret with a space interpolated
 * into one, is percent-encoded when the scenario is read, so the run sends it and ends instead
 * of hanging on the client's refusal; the encoded secret is redacted like the secret. A path
 * with a control character is exit 2 naming the field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { figure, runInProcess, runMeasured, STACK_TRACE, upstreamWeight } from '../helpers/faults.js';
import { expectRefused, type Rig, startRig } from './rig.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig('paths');
});
afterAll(() => rig.stop());
beforeEach(() => rig.reset());

describe('request paths are validated and encoded in the schema', () => {
  it('a space in the path and in a secret interpolated into it: sent encoded, run ends, secret redacted', async () => {
    const out = join(rig.dir, 'out-paths');
    const file = rig.scenario({
      requests: '\n  - path: "/api?x=a b&token=${env:PATH_TOKEN}"',
      steps: '[50, 100]',
      outputs: `{ dir: "${out}" }`,
    });
    const run = await runMeasured(['run', file], { env: { PATH_TOKEN: 'open sesame' }, killAfterMs: 20_000 });
    figure('2 path with spaces', run);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.code).toBe(0);
    expect(run.wallMs).toBeLessThan(15_000);
    expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(100);
    const urls = new Set(rig.canary.seen.map((r) => r.url));
    expect([...urls]).toEqual(['/api?x=a%20b&token=open%20sesame']);
    const [runDir] = readdirSync(out);
    const stored = readFileSync(join(out, runDir as string, 'result.json'), 'utf8');
    expect(stored).not.toContain('open sesame');
    expect(stored).not.toContain('open%20sesame');
    expect(`${run.stdout}${run.stderr}`).not.toContain('open%20sesame');
  });

  it.each([
    {
      name: 'a line break in the path',
      path: '"/api\\nx"',
      says: /requests\[0\]\.path: expected a path without control characters, found "\\n" at position 4/,
    },
    { name: 'a fragment', path: '"/api#top"', says: /requests\[0\]\.path: expected a path without a fragment/ },
    {
      name: 'a line break in a header',
      path: '/api\n    headers: { x-a: "a\\r\\nb" }',
      says: /requests\[0\]\.headers\.x-a: expected a header value without line breaks/,
    },
  ])('$name: exit 2 naming the field, nothing sent (in-process)', async (c) => {
    const run = await runInProcess(['run', rig.scenario({ requests: `\n  - path: ${c.path}` })]);
    expectRefused(rig, run, c.says);
  });
});
