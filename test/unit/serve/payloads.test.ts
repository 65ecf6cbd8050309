import { describe, expect, it } from 'vitest';
import { foldJournal } from '../../../src/serve/journal.js';
import { ArgoJudgeSchema, FlaggerPayloadSchema, firstProblem } from '../../../src/serve/payloads.js';

// The payload Flagger sends (fluxcd/flagger pkg/controller/webhook.go CallWebhook; fields of
// pkg/apis/flagger/v1beta1 CanaryWebhookPayload), with a loadtester-style metadata key serve ignores.
const FLAGGER = {
  name: 'podinfo',
  namespace: 'test',
  phase: 'Progressing',
  checksum: '6d9fc7f4b',
  metadata: { cmd: 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/', stepWeights: '5, 10,25,50' },
};

describe('controller payloads', () => {
  it('reads Flagger payloads, with stepWeights and weight from metadata, ignoring everything else there', () => {
    const p = FlaggerPayloadSchema.parse({ ...FLAGGER, metadata: { ...FLAGGER.metadata, weight: '25' } });
    expect(p.metadata.stepWeights).toEqual([5, 10, 25, 50]);
    expect(p.metadata.weight).toBe(25);
    expect(FlaggerPayloadSchema.parse({ ...FLAGGER, metadata: undefined }).metadata).toEqual({});
  });

  it.each([
    [
      { ...FLAGGER, metadata: { stepWeights: '50,25' } },
      'metadata.stepWeights: expected increasing weights from 1 to 100',
    ],
    [{ ...FLAGGER, metadata: { weight: '-1' } }, 'metadata.weight: expected a whole percentage from 0 to 100'],
    [{ ...FLAGGER, namespace: 'Test Space' }, 'namespace: expected a Kubernetes namespace name'],
    [{ ...FLAGGER, checksum: undefined }, 'checksum: missing; expected string'],
    [
      { ...FLAGGER, metadata: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata: expected at most 32 metadata keys',
    ],
  ])('names the field of a bad Flagger payload', (body, problem) => {
    const r = FlaggerPayloadSchema.safeParse(body);
    expect(r.success).toBe(false);
    if (!r.success) expect(firstProblem(r.error)).toBe(problem);
  });

  it('reads the Argo web metric body (strings from args too) and refuses unknown keys', () => {
    const body = {
      app: 'podinfo',
      namespace: 'argo',
      rollout: 'podinfo',
      stableHash: '6b7f9c8d4',
      canaryHash: '84c5d9f6b',
      weight: '25',
      waitSeconds: '50',
    };
    expect(ArgoJudgeSchema.parse(body)).toMatchObject({ weight: 25, waitSeconds: 50 });
    const r = ArgoJudgeSchema.safeParse({ ...body, cmd: 'rm -rf /' });
    expect(r.success).toBe(false);
    if (!r.success) expect(firstProblem(r.error)).toBe('unknown key "cmd"');
  });
});

describe('session journal', () => {
  it('folds to the last step, verdicts, last call and end, skipping a torn line', () => {
    const lines = [
      {
        event: 'open',
        time: '2026-11-30T10:00:00.000Z',
        key: 'k',
        subject: { controller: 'flagger', app: 'a', namespace: 'n', name: 'x', revision: 'r' },
        plan: [10, 50, 100],
      },
      { event: 'preflight', time: '2026-11-30T10:00:01.000Z', ok: true, reason: 'ok' },
      { event: 'step', time: '2026-11-30T10:00:02.000Z', index: 0, weight: 10 },
      { event: 'verdict', time: '2026-11-30T10:00:05.000Z', index: 0, status: 'pass', reason: 'all pass' },
      { event: 'step', time: '2026-11-30T10:00:06.000Z', index: 1, weight: 50 },
    ].map((l) => JSON.stringify(l));
    const state = foldJournal('id', 'p', `${lines.join('\n')}\n{"event":"seen","ti`);
    expect(state).toMatchObject({
      step: { index: 1, weight: 50 },
      preflight: { ok: true },
      lastSeenMs: Date.parse('2026-11-30T10:00:06.000Z'),
    });
    expect(state?.verdicts).toHaveLength(1);
    expect(state?.end).toBeUndefined();
    expect(foldJournal('id', 'p', '{"event":"seen","time":"x"}\n')).toBeUndefined();
  });
});
