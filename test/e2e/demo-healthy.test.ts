/**
 * `canary-gate demo --healthy`: the demo's identical canary promoted through all five steps. Apart
 * from demo-command.test.ts because it is a timed file (vitest.config.ts): its 100 % step has no
 * simultaneous baseline and is judged against the pooled baseline of the steps before, so a
 * neighbour that takes the CPU during that step is the canary's latency alone — beside the
 * machine phase's files the healthy canary was rolled back on evidence (canary p99 40.2 ms
 * [37.4, 42.1] against the pooled 15.4 ms, limit 28.1 ms, in a CI run at three workers with other
 * work on the machine; twice in six runs at four workers; once beside regress-command and
 * run-command), as a canary that slows down under full load should be.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { whyNotFromStdout } from '../helpers/why-not.js';

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-demo-healthy-'));

// 1 s steps instead of the default 4 s: alone, each step is extended (up to 30 s) only until the
// judge has the evidence to pass p99; 10.2–11.3 s a run beside the CPU hog (8 of 8 promoted),
// 13.4–15.7 s with 2 s steps.
const FAST_DEMO = ['--rate', '2000/s', '--step', '1s'];

describe('canary-gate demo', () => {
  it('promotes the healthy canary: exit 0, decision promote, all five steps', async () => {
    const run = await runCli(['demo', '--healthy', ...FAST_DEMO, '--json', '--quiet', '--out', join(dir, 'demo')]);
    // On a failure, say which check of which step held the healthy canary back, and why.
    expect(run.code, whyNotFromStdout(run.stdout)).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.decision).toBe('promote');
    expect(result.steps.map((s: { weight: number }) => s.weight)).toEqual([10, 25, 50, 75, 100]);
  });
});
