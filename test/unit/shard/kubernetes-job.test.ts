/**
 * The Indexed Job manifests against the Kubernetes API's own schemas, as the kubernetes-models
 * package ships them (generated from the published Kubernetes OpenAPI spec). No cluster can run on
 * these machines: nothing here is applied; the shard inside each pod is the same `canary-gate
 * shard` that the process and docker executors run and test.
 */
import { Job } from 'kubernetes-models/batch/v1';
import { Secret } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import type { LoadPlan } from '../../../src/load/plan.js';
import { shardJobManifests } from '../../../src/shard/kubernetes-job.js';
import { parsePlanFile, shardSlice } from '../../../src/shard/split.js';

const plan: LoadPlan = {
  targets: [{ arm: 'target', url: 'http://checkout.shop.svc:8080', weight: 1 }],
  mix: [{ method: 'GET', path: '/', weight: 1, headers: { authorization: 'Bearer s3cret' } }],
  ratePerSec: 40_000,
  durationMs: 120_000,
  warmupMs: 5_000,
  connections: 400,
  pipelining: 1,
  workers: 1,
  timeoutMs: 10_000,
};

describe('kubernetes shard job', () => {
  it('is an Indexed Job of N pods that validates against the Kubernetes batch/v1 schema', () => {
    const { job, secret } = shardJobManifests(plan, { name: 'checkout-load', shards: 4, image: 'canary-gate:0.1.0' });
    expect(() => new Job(job as never).validate()).not.toThrow();
    expect(() => new Secret(secret as never).validate()).not.toThrow();
    expect(job).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      spec: {
        completionMode: 'Indexed',
        completions: 4,
        parallelism: 4,
        backoffLimit: 0,
        ttlSecondsAfterFinished: 3600,
        // 5 s warm-up + 120 s + 10 s timeout + 300 s.
        activeDeadlineSeconds: 435,
        template: { spec: { restartPolicy: 'Never', volumes: [{ secret: { secretName: 'checkout-load' } }] } },
      },
    });
    // The plan is in a Secret (its headers may hold secrets); every pod reads the same file.
    const file = parsePlanFile((secret.stringData as Record<string, string>)['plan.json'] as string, 'plan.json');
    expect(file.shards).toBe(4);
    expect(file.startAtEpochMs).toBeUndefined();
    expect(shardSlice(file.plan, 3, 4).plan.ratePerSec).toBe(10_000);
  });

  it('the schema check is real: a wrong type fails it', () => {
    const { job } = shardJobManifests(plan, { name: 'checkout-load', shards: 4, image: 'canary-gate:0.1.0' });
    const spec = (job as { spec: Record<string, unknown> }).spec;
    expect(() => new Job({ ...job, spec: { ...spec, completions: 'four' } } as never).validate()).toThrow(
      /spec\/completions must be integer/,
    );
  });

  it('refuses a bad name or a plan that cannot be split, naming each field', () => {
    expect(() => shardJobManifests(plan, { name: 'Checkout_Load', shards: 500, image: '' })).toThrow(
      /shards: expected an integer from 1 to 256, found 500[\s\S]*name: expected a DNS label[\s\S]*image: expected/,
    );
  });
});
