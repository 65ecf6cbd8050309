/**
 * The built CLI's `serve` and `judge --step` on a regressed canary (+80 ms on every answer, over
 * the scenario's p50 ≤ 30 ms against the baseline), called as Flagger and Argo Rollouts call
 * them (see serve-controllers.test.ts, which walks a healthy one). Out of the timed lane: both arms
 * are measured in the same seconds by the same generator, so a busy neighbour slows both alike,
 * and any second it kept its schedule in fails the canary on its median. A healthy walk needs
 * every step to pass, and at nice 5 a whole 10 % step was once generator-limited (left out) and
 * ended inconclusive; here such a step would only delay the rollback the tests poll for (30 s,
 * each step may take 12).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answersAfter, argoBody, expectJudgeStep2, stepOf, useServe } from '../helpers/serve-fixture.js';
import { useTestServer } from '../helpers/test-server-fixture.js';
import { appScenario, callArgo, callFlagger, flaggerPayload, poll, promQuery } from '../integration/serve/fixtures.js';

const baseline = useTestServer(answersAfter(0));
const regressed = useTestServer(answersAfter(80));
const serve = useServe(() => ({ slowinfo: appScenario(baseline.url, regressed.url) }));

describe('serve for Flagger (webhooks replayed as pkg/controller/scheduler.go calls them)', () => {
  it('answers rollback 200 and confirm-traffic-increase 403 for a regressed canary', async () => {
    const canary = { name: 'slowinfo', namespace: 'test', checksum: '5f4b8c7d9' };
    const hook = (name: string, phase = 'Progressing') =>
      callFlagger(serve.url, 'slowinfo', name, flaggerPayload(phase, {}, canary));
    expect((await hook('pre-rollout')).status).toBe(200);
    expect((await hook('confirm-traffic-increase')).status).toBe(200);
    expect(stepOf(await hook('rollout'))).toEqual({ status: 202, weight: 10 });
    const rollback = await poll(
      () => hook('rollback'),
      (r) => r.status === 200,
      30_000,
    );
    expect(rollback.status).toBe(200);
    expect(String(rollback.body.reason)).toMatch(/step 1\/5 \(10%\): fail: .*p50/);
    const increase = await hook('confirm-traffic-increase');
    expect(increase.status).toBe(403);
    expect(increase.body.ended).toBe('rollback');
    const failed = await promQuery(serve.url, 'canary_gate_failed{namespace="test",name="slowinfo"}');
    expect((failed.body.data as { result: { value: [number, string] }[] }).result[0]?.value[1]).toBe('1');
    const post = await hook('post-rollout', 'Failed');
    expect(post.status).toBe(200);
    expect(JSON.parse(readFileSync(String(post.body.result), 'utf8')).decision).toBe('rollback');
  });
});

describe('serve for Argo Rollouts (the web metric as metricproviders/webmetric/webmetric.go sends it)', () => {
  it('returns verdict fail for a regressed canary, with the reason and the checks', async () => {
    const reply = await poll(
      () => callArgo(serve.url, argoBody('slowinfo', 'slowinfo', 10), 30),
      (r) => r.body.verdict !== 'inconclusive',
      60_000,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.verdict).toBe('fail');
    expect(String(reply.body.reason)).toMatch(/p50/);
    expect((reply.body.checks as { name: string; status: string }[]).find((c) => c.name === 'p50')?.status).toBe(
      'fail',
    );
    // The critical checks that decided the rollback.
    expect(reply.body.decidedBy).toEqual(expect.arrayContaining(['p50']));
  });
});

describe('canary-gate judge --step (the Argo job metric)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canary-gate-judge-step-'));
  it.each([{ name: 'a regressed canary', code: 1 as const }])('exits $code for $name', async ({ code }) => {
    await expectJudgeStep2(dir, baseline.url, regressed.url, code);
  });
});
