import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { answersAfter, argoBody, expectJudgeStep2, stepOf, useServe } from '../helpers/serve-fixture.js';
import type { TestServer } from '../helpers/server.js';
import { useTestServer } from '../helpers/test-server-fixture.js';
import {
  appScenario,
  callArgo,
  callFlagger,
  flaggerPayload,
  poll,
  promQuery,
  writeServe,
} from '../integration/serve/fixtures.js';

// The built CLI's `serve` as a child process, called the way Flagger and Argo Rollouts call it
// (payloads, headers and timeouts as their sources send them: see fixtures.ts), against real HTTP
// services on loopback: a healthy canary (answers at once). Controllers poll on an interval; here
// the interval is 200 ms instead of Flagger's ≥ 10 s so a rollout takes seconds. A regressed
// canary (+80 ms on every answer, over the scenario's p50 ≤ 30 ms) is serve-rollback.test.ts: its
// verdict does not rest on timing a neighbour could move, so it runs out of the timed lane.
const baseline = useTestServer(answersAfter(0));
const healthy = useTestServer(answersAfter(0));
const serve = useServe(() => ({ podinfo: appScenario(baseline.url, healthy.url) }));

const loadsStarted = async (): Promise<number> => {
  const text = await (await fetch(`${serve.url}/metrics`)).text();
  return Number(/canary_gate_serve_loads_started_total (\d+)/.exec(text)?.[1]);
};
const sentTo = (...servers: TestServer[]) => servers.reduce((n, s) => n + s.seen.length, 0);

describe('serve for Flagger (webhooks replayed as pkg/controller/scheduler.go calls them)', () => {
  it('walks a healthy canary 10 → 25 → 50 → 75 → 100 to confirm-promotion 200, then writes the result and the baseline', async () => {
    const canary = { name: 'podinfo', namespace: 'test', checksum: '7bd6c9d5f8' };
    const hook = (name: string, phase = 'Progressing') =>
      callFlagger(serve.url, 'podinfo', name, flaggerPayload(phase, { stepWeights: '10,25,50,75,100' }, canary));
    const loadsBefore = await loadsStarted();
    // Before anything: Flagger polls rollback hooks; nothing to roll back.
    expect((await hook('rollback')).status).toBe(403);
    const pre = await hook('pre-rollout');
    expect(pre.status).toBe(200);
    expect(String(pre.body.reason)).toMatch(/pre-flight: 2\/2 healthy; smoke load: baseline \d+\/\d+ ok, canary/);
    // Weight 0 → 10: the first confirm-traffic-increase follows pre-rollout at once.
    const first = await hook('confirm-traffic-increase');
    expect(first.status).toBe(200);
    expect(first.body.weight).toBe(10);
    const walked: number[] = [];
    for (const weight of [10, 25, 50, 75]) {
      const rollback = await hook('rollback');
      expect(rollback.status, String(rollback.body.reason)).toBe(403);
      const rollout = await hook('rollout');
      expect(stepOf(rollout), String(rollout.body.reason)).toEqual({ status: 202, weight });
      const confirmed = await poll(
        () => hook('confirm-traffic-increase'),
        (r) => r.status !== 403 || r.body.status === 'fail',
        30_000,
      );
      expect(confirmed.status, String(confirmed.body.reason)).toBe(200);
      walked.push(weight);
    }
    // At the maximum weight Flagger asks confirm-promotion instead.
    expect(stepOf(await hook('rollout'))).toEqual({ status: 202, weight: 100 });
    const promoted = await poll(
      () => hook('confirm-promotion'),
      (r) => r.status === 200 || r.body.status === 'fail',
      30_000,
    );
    expect(promoted.status, String(promoted.body.reason)).toBe(200);
    walked.push(100);
    expect(walked).toEqual([10, 25, 50, 75, 100]);
    expect(String(promoted.body.reason)).toMatch(/all 5 steps passed/);

    const post = await hook('post-rollout', 'Succeeded');
    expect(post.status).toBe(200);
    expect(post.body.result, JSON.stringify(post.body)).toBeDefined();
    const result = JSON.parse(readFileSync(String(post.body.result), 'utf8'));
    expect(result.decision).toBe('promote');
    expect(result.steps.map((s: { weight: number }) => s.weight)).toEqual([10, 25, 50, 75, 100]);
    // The probe load followed the weight: the canary's share of requests grows step by step.
    const shares = result.steps.map(
      (s: { arms: Record<string, { requests: number }> }) =>
        (s.arms.canary?.requests ?? 0) / ((s.arms.canary?.requests ?? 0) + (s.arms.baseline?.requests ?? 0)),
    );
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeGreaterThan(shares[i - 1]);
    expect(existsSync(join(serve.stateDir, 'baselines', 'podinfo.json'))).toBe(true);
    // One probe load for the whole rollout: the weight moved under it five times.
    expect(await loadsStarted()).toBe(loadsBefore + 1);
    // The looks' budgets: every step spent a share of the false-rollback and false-promotion budgets.
    for (const step of result.steps) {
      expect(step.verdict.alpha).toBeGreaterThan(0);
      expect(step.verdict.beta).toBeGreaterThan(0);
    }

    // Flagger's Prometheus provider can read the same verdict.
    const decision = await promQuery(serve.url, 'canary_gate_decision{namespace="test", name="podinfo"}');
    expect((decision.body.data as { result: { value: [number, string] }[] }).result[0]?.value[1]).toBe('1');
  });
});

describe('serve for Argo Rollouts (the web metric as metricproviders/webmetric/webmetric.go sends it)', () => {
  it('returns verdict pass for each step of a healthy canary', async () => {
    for (const weight of [10, 25, 50, 75, 100]) {
      const reply = await poll(
        () => callArgo(serve.url, argoBody('podinfo', 'podinfo', weight), 30),
        (r) => r.body.verdict !== 'inconclusive',
        60_000,
      );
      expect(reply.status).toBe(200);
      expect(reply.body.verdict, String(reply.body.reason)).toBe('pass');
      expect(reply.body.weight).toBe(weight);
      expect(Array.isArray(reply.body.checks)).toBe(true);
      if (weight === 100) {
        // No live baseline at 100 %: the median against the baseline is judged against steps 1–4's.
        expect(String(reply.body.reason)).toMatch(/pooled baseline of steps 1–4/);
        break;
      }
      // Decided, and the controller has not moved the weight yet: the probe load does not pause.
      const before = sentTo(baseline, healthy);
      await poll(
        async () => ({ status: sentTo(baseline, healthy) - before, body: {}, headers: new Headers() }),
        (r) => r.status >= 100,
        5000,
        50,
      );
      expect(sentTo(baseline, healthy) - before).toBeGreaterThanOrEqual(100);
    }
  });
});

describe('canary-gate judge --step (the Argo job metric)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canary-gate-judge-step-'));
  it.each([{ name: 'a healthy canary', code: 0 as const }])('exits $code for $name', async ({ code }) => {
    await expectJudgeStep2(dir, baseline.url, healthy.url, code);
  });

  it('judges the 100 % step against the pooled baseline of the earlier steps in --session', async () => {
    const { file } = writeServe({ app: appScenario(baseline.url, healthy.url) }, { dir: join(dir, 'pooled') });
    const session = join(dir, 'pooled', 'rollout');
    const judge = (step: number) =>
      runCli([
        'judge',
        join(file, '..', 'app.yaml'),
        '--step',
        String(step),
        '--session',
        session,
        '--out',
        join(dir, 'out'),
        '--json',
        '--quiet',
      ]);
    // Step 2 (25 %) decides in about 2 s; 10 % would need 4 s of the 6 s it may take.
    const first = await judge(2);
    expect(first.code, JSON.parse(first.stdout || '{}').reason).toBe(0);
    const last = await judge(5);
    const result = JSON.parse(last.stdout);
    expect(last.code, `${result.reason}\n${last.stderr}`).toBe(0);
    expect(result.steps[0].weight).toBe(100);
    expect(result.reason).toMatch(/pooled baseline of step 2\b/);
  });
});
