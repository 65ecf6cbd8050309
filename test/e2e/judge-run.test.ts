import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/demo/service.js';
import { startDemoServiceThread } from '../../src/demo/service-thread.js';
import { runCli } from '../helpers/cli.js';
import { whyNot } from '../helpers/why-not.js';

// Two runs of `canary-gate run` with the statistical judge against demo services (log-normal,
// median 20 ms, σ 0.5, so timer granularity is small beside the tail): a canary slower only in
// the tail — every latency above the p95 (45.5 ms) ×1.3, so p99 +30 % and the same median — must
// roll back on evidence at a 10 % margin; an identical canary (A/A) must be promoted on evidence.
// The rollback is sized by the plan-time power (validate prints it): 15 s of 1500/s at 50 %
// canary, p99 catches ≥ +22 % (the +30 % here with room for bursts). Not a higher rate: at 100 %
// one demo service thread takes the whole rate, and at 3000/s with a CPU hog beside the run it
// fell behind (canary p99 95–290 ms against the pooled baseline's 65 ms measured at half that
// rate, in 7 of 11 runs). The rollout's load runs off the thread that judges (a look took 100–200
// ms of CPU and, on the same thread, delayed every send due meanwhile), and a 2 s warm-up covers
// the load's start (both arms at p99 560–810 ms for 2 s in 1 of 4 runs beside the hog).
// The A/A is judged at a 25 % margin. At 10 % it passed on too little room: validate warned that
// an identical canary passes only 92 % of the time at each balanced step before bursts, and its
// 100 % step, judged across time against the pooled baseline of the earlier steps, was still
// undecided at 30 s in CI runs on a busier host (1 in 13 here, and in another host's CI run; 10 266
// baseline samples counting as 3 798 independent ones beside a CPU hog: the ratio 0.913 [0.804,
// 1.01]). A margin is what the judge must show the canary inside, not a tolerance of the test:
// the A/A still has to be passed on evidence, at every step, the 100 % one included. At 25 %
// validate gives 99.9 % per step at the planned 10 s (before bursts), the extensions to 24 s the
// room for a design effect of 2.7 as measured beside the hog. The 10 % margin's power in both
// directions is the simulation's and calibration's (test/unit/gates).
const P95_MS = 20 * Math.exp(1.645 * 0.5);
const dir = mkdtempSync(join(tmpdir(), 'canary-gate-judge-'));
let baseline: RunningService;
let tailSlow: RunningService;
let twin: RunningService;

beforeAll(async () => {
  const latency = { medianMs: 20, sigma: 0.5 };
  [baseline, tailSlow, twin] = await Promise.all([
    startDemoServiceThread({ latency, seed: 1 }),
    startDemoServiceThread({ latency, seed: 2, regression: { tailFactor: 1.3, tailFromMs: P95_MS, on: true } }),
    startDemoServiceThread({ latency, seed: 3 }),
  ]);
});
afterAll(async () => {
  await Promise.all([baseline.close(), tailSlow.close(), twin.close()]);
});

/** How the judge is asked: the relative checks' margin and the steps' planned and longest time. */
interface Judging {
  ratio: number;
  stepDuration: string;
  maxStepDuration: string;
}
const TAIL: Judging = { ratio: 1.1, stepDuration: '15s', maxStepDuration: '30s' };
const AA: Judging = { ratio: 1.25, stepDuration: '10s', maxStepDuration: '24s' };

/** The scenario against one canary, through `steps` (canary weights, %). */
function scenario(canaryUrl: string, steps: string, j: Judging): string {
  const file = join(dir, `judge-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(
    file,
    `name: statistical judge e2e
targets:
  baseline: { url: "${baseline.url}" }
  canary: { url: "${canaryUrl}" }
traffic: { rate: 1500/s, connections: 400, warmup: 2s, stepDuration: ${j.stepDuration}, maxStepDuration: ${j.maxStepDuration}, timeout: 2s }
requests: [{ path: /api }]
steps: [${steps}]
gates:
  checks:
    - { metric: p99, vsBaseline: { ratio: ${j.ratio}, slack: 0ms } }
    - { metric: distribution, vsBaseline: { ratio: ${j.ratio} } }
    - { metric: errorRate, max: 1%, critical: true }
  statistics: { alpha: 0.05 }
  weights: { latency: 1, errors: 1 }
  passScore: 8
`,
  );
  return file;
}

/** `canary-gate run` of that scenario, its result as JSON on stdout. */
function runArgs(canaryUrl: string, steps: string, j: Judging): string[] {
  return ['run', scenario(canaryUrl, steps, j), '--out', join(dir, 'out'), '--json', '--quiet'];
}

describe('canary-gate run with the statistical judge', () => {
  it('rolls back a canary that is slower only in the tail (p99 +30 %, same median)', async () => {
    const run = await runCli(runArgs(tailSlow.url, '50, 100', TAIL));
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.decision).toBe('rollback');
    const checks = result.steps[0].verdict.checks;
    // The tail check fails on evidence; the whole-distribution check sees the same median.
    expect(checks.find((c: { name: string }) => c.name === 'p99').status).toBe('fail');
    expect(checks.find((c: { name: string }) => c.name === 'distribution').status).toBe('pass');
  });

  // Up to two steps at their longest (2 × 24 s) and the warm-ups: near the default minute.
  it('promotes an identical canary (A/A) on evidence, at 50 % and at 100 % against the pooled baseline', {
    timeout: 90_000,
  }, async () => {
    const run = await runCli(runArgs(twin.url, '50, 100', AA));
    const result = JSON.parse(run.stdout);
    const story = whyNot(result);
    expect(result.reason, story).toBe('all 2 steps passed');
    expect(run.code).toBe(0);
    // Passed on evidence at both steps: every check passed, none counted by a policy.
    for (const step of result.steps) {
      expect(
        step.verdict.checks.map((c: { status: string }) => c.status),
        story,
      ).toEqual(['pass', 'pass', 'pass']);
    }
    expect(result.steps[1].verdict.reason).toContain('pooled baseline');
  });
});
