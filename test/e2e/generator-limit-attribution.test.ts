/**
 * #15: whose tail it is, through the CLI. A run whose flagged seconds sent more than the tail late
 * is generator-limited as a whole, naming those seconds, even when its averages look calm; and a
 * service that drops every connection is failing, however starved the generator beside it is
 * (`load` does not call it generator-limited, `run` fails the step on its errors). Starved on
 * purpose (a connection cap, or the CPU hog preloaded into the CLI: the preload runs in the
 * rollout's generator thread too), so a busy neighbour cannot change what these assert.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/run-result.js';
import { runCli } from '../helpers/cli.js';
import { cpuHogEnv } from '../helpers/cpu-hog.mjs';
import { STACK_TRACE } from '../helpers/faults.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The service time of the slow stretch, ms, and when it runs (ms after the first request). */
const SLOW_MS = 30;
const SLOW_FROM_MS = 1000;
const SLOW_UNTIL_MS = 2000;

let stretch: TestServer;
let healthy: TestServer;
let dropping: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'canary-gate-attribution-'));
/** The generator starved on its own thread: 40 ms of every 50. */
const STARVED = cpuHogEnv({ busyMs: 40, everyMs: 50 });

beforeAll(async () => {
  let firstMs: number | undefined;
  stretch = await startTestServer(() => {
    const now = performance.now();
    firstMs ??= now;
    const t = now - firstMs;
    return t >= SLOW_FROM_MS && t < SLOW_UNTIL_MS ? { delayMs: SLOW_MS } : {};
  });
  healthy = await startTestServer();
  // Reads each request, then destroys the socket: the client sees the connection closed by the peer.
  dropping = await startTestServer(() => ({ destroy: true }));
});
afterAll(async () => {
  await Promise.all([stretch.close(), healthy.close(), dropping.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The seconds a reason names: "seconds 1–3, 7 (4 of 9) …" → [1, 2, 3, 7]. */
function namedSeconds(text: string): number[] {
  const list = /^seconds ([\d–, ]+) \(/.exec(text)?.[1] ?? '';
  return list.split(', ').flatMap((part) => {
    const [from, to = from] = part.split('–').map(Number) as [number, number?];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

describe('load: the run-level verdict follows the flagged seconds', () => {
  it('is generator-limited, naming the seconds, when one second of four held the backlog its connection cap made', async () => {
    // 400/s on 2 connections: fine while the service answers at once (under 1 ms), but in the
    // second it takes 30 ms the rate needs 12 and most of that second's sends wait. Over the whole
    // run the mean service time needs fewer than 2 connections and the generator is idle, so the
    // averages alone said "not limited" while a quarter of the requests queued in its backlog.
    const run = await runCli([
      'load',
      `${stretch.url}/api`,
      ...['-r', '400/s', '-d', '4s', '-c', '2', '-t', '5s', '--warmup', '0s', '--json'],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.serviceMs.max).toBeGreaterThanOrEqual(SLOW_MS);
    const flagged = (out.generatorIntervals as { limited: boolean; startMs: number }[])
      .filter((p) => p.limited)
      .map((p) => p.startMs / 1000);
    expect(flagged.length, JSON.stringify(out.generatorIntervals)).toBeGreaterThan(0);
    expect(out.generator.limited, JSON.stringify(out.generator)).toBe(true);
    const named = (out.generator.reasons as { code: string; text: string }[]).filter((r) =>
      r.text.startsWith('seconds '),
    );
    expect(named.length, JSON.stringify(out.generator.reasons)).toBeGreaterThan(0);
    // Every flagged second is named, and the share they sent late is past the 1 % tail.
    expect(named.flatMap((r) => namedSeconds(r.text)).sort((a, b) => a - b)).toEqual(flagged);
    for (const r of named) expect(r.text).toContain('more than the 1% tail');
    expect(run.stderr).toMatch(/^warning: latency above is the generator's own queue: /m);
  });
});

describe('a service dropping every connection is failing, not the generator', () => {
  it('load, its generator starved, reports the failures and does not say generator-limited', async () => {
    const run = await runCli(['load', `${dropping.url}/api`, '-r', '400/s', '-d', '2s', '--json'], STARVED);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    const out = JSON.parse(run.stdout);
    expect(out.errorsByClass.reset).toBe(out.requests);
    expect(out.requests).toBeGreaterThan(400);
    // The hog did put the generator behind: the rule saw it and still left the window to the service.
    expect(out.generator, JSON.stringify(out.generator)).toMatchObject({ limited: false, reasons: [], advice: null });
    expect(out.generator.warnings.join(' ')).toMatch(/failed at the connection .*the service's/);
    expect(out.generatorIntervals.every((p: { limited: boolean }) => !p.limited)).toBe(true);
    expect(run.stderr).not.toContain("generator's own queue");
  });

  it('run, its generator starved, fails the step on the error-rate check (not inconclusive, not promoted)', async () => {
    // With inconclusive: continue, a step whose seconds were all left out as generator-limited
    // would count as passing: that promoted this canary before the fix.
    const file = join(dir, 'dropping.yaml');
    writeFileSync(
      file,
      `name: dropping-canary
targets:
  baseline: { url: "${healthy.url}" }
  canary: { url: "${dropping.url}" }
traffic: { rate: 400/s, connections: 8, warmup: 0s, stepDuration: 3s, maxStepDuration: 6s, timeout: 1s }
requests:
  - path: /api
steps: [10, 50, 100]
router: { type: split }
gates:
  checks:
    - { metric: errorRate, max: 5%, critical: true }
  statistics: { minSamples: 100, inconclusive: continue }
outputs: { dir: "${join(dir, 'out')}" }
`,
    );
    const run = await runCli(['run', file, '--json'], STARVED);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    const result = JSON.parse(run.stdout) as RunResult;
    expect(run.code, result.reason).toBe(1);
    expect(result.decision).toBe('rollback');
    expect(result.steps).toHaveLength(1);
    const step = result.steps[0] as RunResult['steps'][number];
    expect(step.verdict.checks.map((c) => `${c.name}: ${c.status}`)).toEqual(['errorRate: fail']);
    expect(result.reason).toMatch(/^step 1 \(10%\): critical check errorRate failed: canary error rate 100%/);
    expect(step.quality?.generator?.limited, JSON.stringify(step.quality?.generator)).toBe(false);
  });
});
