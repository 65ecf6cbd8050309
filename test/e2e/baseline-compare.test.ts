import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Record a baseline of a service, run the same service against it (pass), then a slower build
// of it (regression): `run --baseline` and `compare` must agree. The service answers like a real
// one, log-normal around 20 ms (σ 0.5, p99 ≈ 64 ms), so its p99 is its own and not the machine's:
// answering at once (~0.5 ms), its p99 was the scheduling noise, which comes in bursts — beside a
// CPU hog 9 529 samples counted as 483 independent ones and the same build stayed undecided at
// 24 s (also once in CI at 9 s). 3 s steps (the recorded baseline's p99 interval narrows with
// them) that may extend to 9 s.
const dir = mkdtempSync(join(tmpdir(), 'canary-gate-baseline-'));
let service: TestServer;
let delayMs = 0;
/** A standard normal draw (Box-Muller). */
const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
beforeAll(async () => {
  service = await startTestServer(() => ({ delayMs: delayMs + 20 * Math.exp(0.5 * gaussian()) }));
});
afterAll(() => service.close());

const scenarioFile = join(dir, 'regression.yaml');
/** Each load is a pass or a regression of the service, never of a starved generator. */
const raised = { raised: true };
const baselineFile = join(dir, 'main.json');

function resultOf(out: string): string {
  const runs = readdirSync(out).sort();
  return join(out, runs[runs.length - 1] as string, 'result.json');
}

describe('stored baselines', () => {
  // The record (3 s), the same build's run (up to 9 s) and the slow one, with room on a busy machine.
  it('record, then run and compare: the same build passes, a slower one regresses (exit 1)', {
    timeout: 90_000,
  }, async () => {
    writeFileSync(
      scenarioFile,
      `name: service regression run
mode: regression
targets:
  canary: { url: "${service.url}" }
traffic: { rate: 400/s, connections: 50, warmup: 300ms, stepDuration: 3s, maxStepDuration: 9s, timeout: 2s }
requests: [{ name: items, path: /items }]
steps: [100]
baseline: { file: "${baselineFile}" }
gates:
  checks:
    - { metric: p99, vsStored: { ratio: 1.5, slack: 5ms } }
    - { metric: errorRate, vsStored: { ratio: 2, slack: 0.5% }, critical: true }
  statistics: { alpha: 0.05 }
outputs: { formats: [json, markdown, junit, hgrm] }
`,
    );
    // Every load here runs raised (helpers/cli.ts): the record refuses a step the generator was
    // the limit of twice (exit 3, nothing written: baseline-record-generator.test.ts), and at this
    // file's priority a busy machine's stalls did that, 2.9-8.8 % of sends 10 ms late beside two
    // CPU hogs, four measurements in a row once.
    const record = await runCli(
      ['baseline', 'record', scenarioFile, '--out', baselineFile, '--label', 'main'],
      {},
      raised,
    );
    expect(record.code, record.stderr.slice(-2000)).toBe(0);
    expect(record.stderr).toContain(`wrote ${baselineFile}`);
    expect(JSON.parse(readFileSync(baselineFile, 'utf8'))).toMatchObject({
      kind: 'canary-gate-baseline',
      label: { version: 'main' },
    });

    const stepSummary = join(dir, 'step-summary.md');
    const same = await runCli(
      ['run', scenarioFile, '--out', join(dir, 'same'), '--quiet'],
      { GITHUB_STEP_SUMMARY: stepSummary },
      raised,
    );
    expect(same.code, same.stderr.slice(-2000)).toBe(0);
    expect(readFileSync(stepSummary, 'utf8')).toContain('## canary-gate: ✅ PROMOTE — service regression run');
    const sameCompare = await runCli([
      'compare',
      baselineFile,
      resultOf(join(dir, 'same')),
      '--scenario',
      scenarioFile,
    ]);
    expect(sameCompare.code, sameCompare.stderr.slice(-2000)).toBe(0);
    expect(sameCompare.stdout).toMatch(/^OK: /);

    delayMs = 100;
    const slow = await runCli(['run', scenarioFile, '--out', join(dir, 'slow'), '--json', '--quiet'], {}, raised);
    expect(slow.code, slow.stderr.slice(-2000)).toBe(1);
    const result = JSON.parse(slow.stdout);
    expect(result.steps[0].verdict.checks[0]).toMatchObject({ name: 'p99', status: 'fail' });
    expect(result.steps[0].verdict.checks[0].reason).toContain('exceeds stored baseline p99');
    // The reports name the regression too.
    const slowDir = join(resultOf(join(dir, 'slow')), '..');
    expect(readFileSync(join(slowDir, 'summary.md'), 'utf8')).toMatch(
      /❌ ROLLBACK[\s\S]*\*\*fail\*\* p99: canary p99 .* exceeds stored baseline p99/,
    );
    const junit = readFileSync(join(slowDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(
      /<testcase [^>]*name="p99 at 100%"[^>]*>\s*<failure message="canary p99 [^"]* exceeds stored baseline p99/,
    );
    expect(junit).toContain('failures="1"');
    expect(readFileSync(join(slowDir, 'step1-100pct-canary.hgrm'), 'utf8')).toMatch(/Value\s+Percentile\s+TotalCount/);
    const slowCompare = await runCli(['compare', baselineFile, resultOf(join(dir, 'slow'))]);
    expect(slowCompare.code, slowCompare.stderr.slice(-2000)).toBe(1);
    expect(slowCompare.stdout).toMatch(/^REGRESSION: /);
    expect(slowCompare.stdout).toMatch(/fail\s+p99: canary p99 .* exceeds stored baseline p99/);
  });
});
