/**
 * serve's runner (and `judge --step`'s) on the rollout's own load, against real demo services in
 * threads of their own: a step whose generator is starved on every second never passes a
 * regressed canary on the generator's queue, and a step's record says what its evidence stood on.
 * In a CI run on a busy host `judge --step` once passed a canary +80 ms on every request ("all 3
 * checks pass"): the generator's queue, in both arms alike, swamped the medians the check compared.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDemoServiceThread } from '../../../src/demo/service-thread.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import type { CanaryScenario } from '../../../src/scenario/schema.js';
import { liveSessionRunner } from '../../../src/serve/live-runner.js';
import type { SessionRunner } from '../../../src/serve/runner.js';
import { startCpuHog } from '../../helpers/cpu-hog.mjs';
import { appScenario } from './fixtures.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/** A baseline and a canary +80 ms on every request (the serve tests' regressed canary). */
async function services(canaryMedianMs: number): Promise<{ baseline: string; canary: string }> {
  const [a, b] = await Promise.all([
    startDemoServiceThread({ latency: { medianMs: 5, sigma: 0.2 }, seed: 1 }),
    startDemoServiceThread({ latency: { medianMs: canaryMedianMs, sigma: 0.1 }, seed: 2 }),
  ]);
  cleanup.push(a.close, b.close);
  return { baseline: a.url, canary: b.url };
}

function scenario(urls: { baseline: string; canary: string }, maxStep: string): CanaryScenario {
  const text = appScenario(urls.baseline, urls.canary).replace('maxStepDuration: 12s', `maxStepDuration: ${maxStep}`);
  return loadScenario(text, { file: 'app.yaml', env: {} }).scenario as CanaryScenario;
}

function runner(s: CanaryScenario, generatorThread?: 'this'): SessionRunner {
  const r = liveSessionRunner({ loadBoundMs: 60_000, ...(generatorThread ? { generatorThread } : {}) })(s, {
    onLoadStart: () => undefined,
    onDecided: () => undefined,
  });
  cleanup.push(() => r.stop());
  return r;
}

describe("serve's live runner", () => {
  it('never passes a canary +80 ms on a generator starved on every second: those requests decide nothing', async () => {
    // The generator on this thread (serve runs it on its own worker), so the hog here starves it:
    // 40 ms of every 50 ms, from before the load's first send.
    const r = runner(scenario(await services(85), '4s'), 'this');
    const stopHog = startCpuHog({ busyMs: 40, everyMs: 50 });
    cleanup.push(stopHog);
    r.startStep(1, 25);
    // The step runs to its 4 s at most; the bound only guards a runner that never decides.
    const report = await r.decided(AbortSignal.timeout(30_000));
    stopHog();
    await r.stop();
    const [step] = r.steps();
    const summary = JSON.stringify({
      status: report?.status,
      reason: report?.verdict?.reason,
      quality: step?.result.quality,
    });
    expect(report?.status, summary).not.toBe('pass');
    // It was the generator: the step's record says so, and the verdict left its requests out.
    expect(step?.result.quality?.generator?.limited, summary).toBe(true);
    expect(Object.keys(step?.result.quality?.excluded ?? {}), summary).toContain('generator-limited');
    // Still inconclusive at the longest step (serve's policy then fails it): no check was decided on them.
    expect(report?.verdict?.reason, summary).toMatch(
      /inconclusive[\s\S]*left out, deciding nothing: \d+ windows? generator-limited/,
    );
  });

  it("fails a canary +80 ms on its own median while this thread (the session's and its looks') is busy", async () => {
    // The generator on its own worker (as serve runs it): a hog on this thread, where the looks
    // judge and the session answers (450 ms of every 500), no longer delays its sends. With the
    // generator here, both arms' medians were the hog's queue (canary 911 ms, baseline 454 ms).
    const r = runner(scenario(await services(85), '12s'));
    const stopHog = startCpuHog({ busyMs: 450, everyMs: 500 });
    cleanup.push(stopHog);
    r.startStep(1, 25);
    const report = await r.decided(AbortSignal.timeout(30_000));
    stopHog();
    const p50 = report?.verdict?.checks.find((c) => c.name === 'p50');
    expect(report?.status, report?.verdict?.reason).toBe('fail');
    // The canary's own ~85 ms (a lognormal with sigma 0.1), not a queue.
    expect(p50?.observed, report?.verdict?.reason).toBeLessThan(150);
  });

  it("records each step with what its evidence stood on, and a healthy canary's step passes", async () => {
    const r = runner(scenario(await services(5), '12s'));
    r.startStep(1, 25);
    const report = await r.decided(AbortSignal.timeout(30_000));
    expect(report?.status, report?.verdict?.reason).toBe('pass');
    await r.stop();
    const [step] = r.steps();
    expect(step?.result.weight).toBe(25);
    const quality = step?.result.quality;
    expect(quality?.arms.canary?.sent).toBeGreaterThan(0);
    expect(quality?.arms.baseline?.sent).toBeGreaterThan(quality?.arms.canary?.sent ?? 0);
    expect(quality?.arms.canary?.serviceMs?.p50).toBeGreaterThan(0);
    expect(quality?.generator?.cpuPercent).toBeGreaterThanOrEqual(0);
  });
});
