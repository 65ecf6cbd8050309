/**
 * `canary-gate regress` end to end on a real Docker engine, its verdicts: the built CLI as a
 * child process, the demo images from scripts/build-demo-image.sh, containers on host networking.
 * A timed file (vitest.config.ts): its images are judged over sequential rounds. What regress
 * does with containers that start, fail and are stopped asserts nothing about time and is
 * regress-containers.test.ts; the same command over local processes is regress-processes.test.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/run-result.js';
import { runCli } from '../helpers/cli.js';
import { REGRESS_ENV as env, IMAGES, LOAD, useRegressContainers } from '../helpers/regress-fixture.js';

const { dir } = useRegressContainers();

function resultOf(stdout: string): RunResult {
  return JSON.parse(stdout) as RunResult;
}

describe('canary-gate regress with containers', () => {
  it('passes an image against itself (scenario form)', async () => {
    const file = join(dir, 'self.yaml');
    // The p99 of a 4 ms service is this shared two-core machine's noise: the same image measured
    // 42 ms in one build's rounds and 94 ms in the other's (sequential rounds, other engineers'
    // work beside them), so an A/A p99 is no evidence here and this scenario checks p50 (the
    // default 10 % + 1 ms) and the error rate; the flag-form test below judges p99 by default. A pass
    // needs evidence: 1 200 error-free requests show ≤ 2 × baseline + 1 %, not the default + 0.1 %
    // (that takes about 3 000).
    writeFileSync(
      file,
      `name: demo against itself
mode: regression
regress:
  baseline: { image: ${IMAGES.baseline} }
  candidate: { image: ${IMAGES.baseline} }
  port: 0
  rounds: 2
traffic: { rate: 400/s, warmup: 300ms, stepDuration: 1500ms, timeout: 5s }
requests: [{ path: /api/items }]
gates:
  checks:
    - { metric: p50, vsBaseline: { ratio: 1.1, slack: 1ms } }
    - { metric: errorRate, vsBaseline: { ratio: 2, slack: 1% }, critical: true }
outputs: { dir: ${dir}, formats: [json, markdown, junit, html, hgrm] }
`,
    );
    const run = await runCli(['regress', file, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const result = resultOf(run.stdout);
    expect(result.decision).toBe('promote');
    expect(result.reason).toContain('no regression over 2 interleaved rounds');
    expect(result.regress?.rounds.map((r) => r.order)).toEqual([
      ['baseline', 'canary'],
      ['canary', 'baseline'],
    ]);
    const step = result.steps[0];
    expect(step?.arms.baseline?.requests).toBeGreaterThan(1000);
    expect(step?.arms.canary?.requests).toBeGreaterThan(1000);
    expect(step?.verdict.checks.map((c) => c.status)).toEqual(['pass', 'pass']);
    // The same reports as run.
    const out = join(dir, result.run);
    for (const f of ['result.json', 'summary.md', 'junit.xml', 'report.html'])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('Regression rounds');
    console.log(
      `self: baseline p50 ${step?.arms.baseline?.latencyMs.p50} p99 ${step?.arms.baseline?.latencyMs.p99}; candidate p50 ${step?.arms.canary?.latencyMs.p50} p99 ${step?.arms.canary?.latencyMs.p99}; start ${result.regress?.builds.map((b) => `${b.arm} ${b.startupMs} ms`).join(', ')}`,
    );
  });

  it('fails the slower variant with exit 1 and names the failing checks (flag form, default checks)', async () => {
    const run = await runCli(
      [
        'regress',
        '--baseline-image',
        IMAGES.baseline,
        '--candidate-image',
        IMAGES.slow,
        ...LOAD,
        '--path',
        '/api/items',
        '--out',
        dir,
        '--json',
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(1);
    const result = resultOf(run.stdout);
    expect(result.decision).toBe('rollback');
    const checks = Object.fromEntries((result.steps[0]?.verdict.checks ?? []).map((c) => [c.name, c.status]));
    // 1 200 error-free requests per arm cannot show the default ≤ 2 × baseline + 0.1 % (about 3 000 can).
    // The p99 of a 4 ms service on a busy shared machine is the machine's noise, tens of ms, which
    // can hide the 20 ms (p99 passed or stayed open in 3 of 3 CI runs beside other engineers' work): not asserted.
    const { p99: _p99, ...shown } = checks;
    expect(shown).toEqual({ p50: 'fail', distribution: 'fail', errorRate: 'inconclusive' });
    expect(run.stderr).toMatch(/REGRESSION: .*canary p50 [\d.]+ ms .* exceeds baseline p50/);
    const b = result.steps[0]?.arms.baseline?.latencyMs;
    const c = result.steps[0]?.arms.canary?.latencyMs;
    // The slow image adds 20 ms to every answer.
    expect((c?.p50 ?? 0) - (b?.p50 ?? 0)).toBeGreaterThan(15);
    console.log(`slow: baseline p50 ${b?.p50} p99 ${b?.p99}; candidate p50 ${c?.p50} p99 ${c?.p99}`);
  });
});
