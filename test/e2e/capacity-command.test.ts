import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityResult } from '../../src/capacity/result.js';
import type { RunningService } from '../../src/demo/service.js';
import { startDemoServiceThread } from '../../src/demo/service-thread.js';
import { runCli } from '../helpers/cli.js';
import { cpuHogEnv } from '../helpers/cpu-hog.mjs';
import { useTestServer } from '../helpers/test-server-fixture.js';

// Searches cut short (a signal, a killed shard) are in capacity-stops.test.ts, out of the timed
// lane. The SLO that no rate meets stays: a first step its generator fell behind in is run again
// (two steps where one is asserted), and a second such step ends the search generator-limited.
const dir = mkdtempSync(join(tmpdir(), 'canary-gate-capacity-'));
// 50 ms per request: an SLO of p99 < 10 ms fails at any rate.
const server = useTestServer((req) => (req.url === '/slow' ? { delayMs: 50 } : {}));

describe('canary-gate capacity', () => {
  it('finds two known capacities and their ratio, with --json, reports in --out and the step summary', async () => {
    // 2 and 4 requests at a time, 20 ms each: 100/s and 200/s. The services run in this test
    // process's worker threads; the CLI generating load is a process of its own. Rates this low
    // and an SLO 80 ms above the service time leave room for a busy neighbour on a shared
    // machine; over capacity the queue's wait grows by the excess share each second: 5% over
    // queues 750 ms × 5% = 37 ms within a step (250 ms warm-up + 500 ms measured), 11% over the
    // 80 ms, so a rate that passes is at most about 11% over. The 10% accuracy is the library
    // test's (test/integration/capacity); here the bounds are looser. The SLO is on p95: a 500 ms
    // step at 180/s has 90 samples, whose p99 is their slowest one, so a single stall of the
    // services' thread beside the CI's other files failed a step under capacity (165/s found of a
    // known 200/s once, in 1 of 4 runs); the p95 needs five such samples, an excess over
    // capacity makes every late one slow.
    const slow: RunningService = await startDemoServiceThread({ capacity: { concurrency: 2, serviceMs: 20 } });
    const fast: RunningService = await startDemoServiceThread({ capacity: { concurrency: 4, serviceMs: 20 } });
    const out = join(dir, 'reports');
    const stepSummary = join(dir, 'step-summary.md');
    try {
      const started = performance.now();
      const run = await runCli(
        [
          'capacity',
          `${slow.url}/`,
          '--compare',
          fast.url,
          '--slo',
          'p95<100ms,errors<1%',
          '--start',
          '60/s',
          '--step-duration',
          '500ms',
          '--warmup',
          '250ms',
          '--cooldown',
          '300ms',
          '--precision',
          '10%',
          '--json',
          '--out',
          out,
        ],
        { GITHUB_STEP_SUMMARY: stepSummary },
      );
      const seconds = (performance.now() - started) / 1000;
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as CapacityResult;
      const [a, b] = result.targets;
      console.info(
        `capacity CLI: ${a?.capacityPerSec}/s of a known 100/s, ${b?.capacityPerSec}/s of a known 200/s, ratio ${result.comparison?.ratio}, ${a?.steps.length} + ${b?.steps.length} steps in ${seconds.toFixed(1)} s`,
      );
      expect(result).toMatchObject({ schemaVersion: 1, kind: 'capacity', exitCode: 0 });
      expect(a?.verdict).toBe('found');
      expect(b?.verdict).toBe('found');
      expect((a?.capacityPerSec as number) / 100).toBeGreaterThan(0.85);
      expect((a?.capacityPerSec as number) / 100).toBeLessThan(1.15);
      expect((b?.capacityPerSec as number) / 200).toBeGreaterThan(0.85);
      expect((b?.capacityPerSec as number) / 200).toBeLessThan(1.15);
      expect(result.comparison?.ratio).toBeGreaterThan(1.6);
      expect(result.comparison?.ratio).toBeLessThan(2.4);
      for (const step of a?.steps ?? []) {
        for (const key of ['p50', 'p95', 'p99'] as const) expect(typeof step.latencyMs[key]).toBe('number');
      }
      // Progress on stderr, one line per step.
      expect(run.stderr).toMatch(/target step 1 \(ramp\)\s+60\/s: achieved/);
      expect(run.stderr).toMatch(/compare step \d+ \(bisect\)/);
      // The reports, rendered from the same result.
      expect(JSON.parse(readFileSync(join(out, 'capacity.json'), 'utf8'))).toEqual(result);
      const markdown = readFileSync(join(out, 'capacity.md'), 'utf8');
      expect(markdown).toContain(`**Capacity ${a?.capacityPerSec}/s**`);
      expect(readFileSync(stepSummary, 'utf8')).toBe(`${markdown}\n`);
      const html = readFileSync(join(out, 'capacity.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html).toContain('SLO p95&lt;100ms');
      expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
    } finally {
      await slow.close();
      await fast.close();
    }
  });

  it('exits 3 with the advice to add workers when the generator, not the service, is the limit', async () => {
    // The CLI's own thread is taken 60 ms of every 70 (a preloaded hog; see test/helpers/cpu-hog.mjs):
    // at 50/s most requests go out more than 10 ms late however fast the service answers, twice.
    const run = await runCli(
      [
        'capacity',
        `${server.url}/`,
        '--slo',
        'p99<500ms',
        '--start',
        '50/s',
        '--step-duration',
        '1s',
        '--warmup',
        '200ms',
        '--cooldown',
        '0s',
      ],
      cpuHogEnv({ busyMs: 60, everyMs: 70 }),
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /target step 1 \(ramp\)\s+50\/s: .*GENERATOR-LIMITED \(not the service\); running this rate once more/,
    );
    expect(run.stdout).toMatch(/target http:\/\/127\.0\.0\.1:\d+: generator-limited — capacity none/);
    expect(run.stdout).toContain("the limit reached is the generator's, not the service's");
    expect(run.stdout).toContain(
      "suggestion: the generator's own queue, not the service, was the limit: spread the generator over more worker threads (--workers 2",
    );
  });

  it("runs a scenario's capacity section and exits 1 when no rate meets the SLO", async () => {
    const file = join(dir, 'capacity.yaml');
    writeFileSync(
      file,
      `name: slow service
mode: capacity
targets:
  canary:
    url: ${server.url}
traffic:
  warmup: 0s
  connections: 20
requests:
  - path: /slow
capacity:
  slo: p99<10ms
  start: 40/s
  stepDuration: 500ms
outputs:
  dir: ${join(dir, 'scenario-out')}
  formats: [json, markdown]
`,
    );
    const run = await runCli(['capacity', file, '--json']);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as CapacityResult;
    expect(result.name).toBe('slow service');
    expect(result.targets[0]).toMatchObject({ verdict: 'slo-fails-at-start', capacityPerSec: null });
    expect(result.targets[0]?.steps).toHaveLength(1);
    expect(result.targets[0]?.suggestion).toContain('lower --start');
    expect(server.seen.length).toBeGreaterThan(0);
    expect(server.seen.every((r) => r.url === '/slow')).toBe(true);
    expect(run.stderr).toMatch(/wrote .*scenario-out.*capacity\.md/);
  });
});
