/**
 * The kubernetes executor against a fake Kubernetes API server on 127.0.0.1. The fake is a mock,
 * and the only one allowed: no cluster can run on these machines (test/helpers/fake-kubernetes.ts).
 * Everything past the API is real: @kubernetes/client-node's requests, the Job and Secret from
 * shardJobManifests, and the pods are real `canary-gate shard` processes sending real requests to
 * a real HTTP server on 127.0.0.1, their protocol lines read back through the pods' log endpoint.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { LoadPlan } from '../../../src/load/plan.js';
import { runSharded, ShardError } from '../../../src/shard/coordinator.js';
import { kubeConfigFrom, kubernetesExecutor } from '../../../src/shard/kubernetes-executor.js';
import { runCli, startCli } from '../../helpers/cli.js';
import { FAKE_TOKEN, type FakeKubernetes, startFakeKubernetes } from '../../helpers/fake-kubernetes.js';
import { alive } from '../../helpers/processes.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let kube: FakeKubernetes;
beforeAll(async () => {
  server = await startTestServer();
  kube = await startFakeKubernetes();
});
afterAll(async () => {
  await kube?.close();
  await server?.close();
});
afterEach(() => {
  kube.behaviour = {};
});

const plan = (durationMs: number, ratePerSec = 200): LoadPlan => ({
  targets: [{ arm: 'target', url: server.url, weight: 1 }],
  mix: [{ method: 'GET', path: '/', weight: 1 }],
  ratePerSec,
  durationMs,
  connections: 4,
  pipelining: 1,
  workers: 1,
  timeoutMs: 1000,
});

const executor = () => {
  const { kubeConfig, namespace } = kubeConfigFrom({ KUBECONFIG: kube.kubeconfig });
  // The pod list polled every 200 ms instead of every second: a pod's exit is read from it, so each
  // test would otherwise wait up to a second per ended pod for nothing. The fake runs a pod as soon
  // as its Job is created, so the common start only has to cover a shard process's start (about
  // 0.35 s alone); one that starts later is a warning (started its schedule late), never a
  // failure, and no test here reads the warnings: 1 s, as the CLI's least, not 1.5 s.
  return kubernetesExecutor({ kubeConfig, namespace, image: 'canary-gate:latest', startDelayMs: 1000, pollMs: 200 });
};

/** The Job and Secret were deleted (the Job with propagationPolicy Background) and no pod process is left. */
const expectCleanedUp = (job: string): void => {
  expect(kube.jobs.has(job)).toBe(false);
  expect(kube.secrets.has(job)).toBe(false);
  expect(kube.requests).toContain(`DELETE /apis/batch/v1/namespaces/shards/jobs/${job}?propagationPolicy=Background`);
  expect(kube.requests).toContain(`DELETE /api/v1/namespaces/shards/secrets/${job}`);
  const pods = kube.pods.filter((p) => p.job === job);
  expect(pods.every((p) => p.process === undefined || p.process.pid === undefined || !alive(p.process.pid))).toBe(true);
};

describe('kubernetes executor (fake API server, real shard processes)', () => {
  it('runs an Indexed Job of 2 pods, merges their log lines exactly, and deletes the Job and the Secret', async () => {
    const seenBefore = server.seen.length;
    const shards = executor();
    // 400 requests in 1 s: the count is what is checked, not how long it took.
    const result = await runSharded(plan(1000, 400), { shards: 2, executor: shards });
    expect(result.executor).toBe('kubernetes');
    const pods = kube.pods.filter((p) => p.job === shards.jobName);
    expect(result.shards.map((s) => s.id)).toEqual(pods.map((p) => `pod ${p.name}`));
    // Merged counts are the sum of the shards' and what the server saw.
    expect(result.total.counters.requests).toBe(400);
    expect(result.shards.map((s) => s.requests).reduce((a, b) => a + b, 0)).toBe(400);
    expect(server.seen.length - seenBefore).toBe(400);
    expect(result.shards.every((s) => s.status === 'ok')).toBe(true);
    expectCleanedUp(shards.jobName);
  });

  it('names a pod killed mid-run (exit 137 before its end line) and still deletes everything', async () => {
    kube.behaviour = { killAfterFirstInterval: [1] };
    const shards = executor();
    const error = await runSharded(plan(4000), { shards: 2, executor: shards }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardError);
    const pod = kube.pods.find((p) => p.job === shards.jobName && p.index === 1);
    expect((error as ShardError).message).toContain(
      `shard 1 (pod ${pod?.name}): exited (code 137) before its end line`,
    );
    expect((error as ShardError).shards[0]?.status).toBe('stopped');
    expectCleanedUp(shards.jobName);
  });

  it('names a pod that never starts, with its status', async () => {
    kube.behaviour = { neverStart: [0] };
    const shards = executor();
    const error = await runSharded(plan(3000), { shards: 2, executor: shards, silenceMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShardError);
    const pod = kube.pods.find((p) => p.job === shards.jobName && p.index === 0);
    expect((error as ShardError).message).toMatch(
      new RegExp(`shard 0 \\(pod ${pod?.name}\\): hung: nothing on its output .* Pending, waiting: ImagePullBackOff`),
    );
    expectCleanedUp(shards.jobName);
  });
});

describe('load --executor kubernetes (the CLI, KUBECONFIG naming the fake)', () => {
  // The least start delay the variable takes (1 s; the default is 30 s for a real scheduler): the
  // fake starts the pods at once, and a late one is only a warning (see executor() above).
  const env = () => ({ KUBECONFIG: kube.kubeconfig, CANARY_GATE_K8S_START_DELAY: '1' });
  const loadArgs = (duration: string, rate = '200/s') => [
    'load',
    server.url,
    '-r',
    rate,
    '-d',
    duration,
    '-c',
    '4',
    '--shards',
    '2',
  ];

  it('exit 0 with the merged count, the Job and the Secret deleted', async () => {
    const before = kube.jobs.size + kube.secrets.size;
    const run = await runCli([...loadArgs('1s', '400/s'), '--executor', 'kubernetes', '--json', '--quiet'], env());
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { requests: number; shards: { id: string }[] };
    expect(summary.requests).toBe(400);
    expect(summary.shards.map((s) => s.id)).toEqual([expect.stringMatching(/^pod /), expect.stringMatching(/^pod /)]);
    const job = kube.pods.at(-1)?.job as string;
    expect(kube.jobs.size + kube.secrets.size).toBe(before);
    expectCleanedUp(job);
  });

  it('a failed pod: exit 3 naming it', async () => {
    kube.behaviour = { killAfterFirstInterval: [0] };
    const run = await runCli([...loadArgs('4s'), '--executor', 'kubernetes', '--quiet'], env());
    expect(run.code, run.stderr).toBe(3);
    const pod = kube.pods.at(-2);
    expect(pod?.index).toBe(0);
    expect(run.stderr).toContain(`shard 0 (pod ${pod?.name}): exited (code 137) before its end line`);
    expectCleanedUp(pod?.job as string);
  });

  it('SIGTERM: the pods are stopped, the Job and the Secret deleted, exit 130', async () => {
    const cli = startCli([...loadArgs('20s'), '--executor', 'kubernetes'], env());
    await cli.stderrUntil(/1\/20s/);
    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    const job = kube.pods.at(-1)?.job as string;
    expectCleanedUp(job);
  });

  it('run and regress refuse the executor (exit 2, naming it and why); no kubeconfig is exit 2, nothing created', async () => {
    const jobsBefore = kube.requests.filter((r) => r.startsWith('POST')).length;
    // Three refusals that send nothing, started together: each is a CLI start (~1.1 s), not a load.
    const [run, regress, none] = await Promise.all([
      runCli(['run', 'scenarios/nginx-canary.yaml', '--shards', '2', '--executor', 'kubernetes'], {
        ...env(),
        CHECKOUT_TOKEN: 'not-sent-token-0123456789',
      }),
      runCli(['regress', 'scenarios/regress.yaml', '--shards', '2', '--executor', 'kubernetes'], env()),
      runCli([...loadArgs('2s'), '--executor', 'kubernetes'], { KUBECONFIG: '/nonexistent/kubeconfig' }),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--executor kubernetes: run changes the weights between steps .* no stdin/);
    expect(regress.code, regress.stderr).toBe(2);
    expect(regress.stderr).toMatch(/--executor kubernetes: regress starts both builds on this machine/);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--executor kubernetes: cannot load a kubeconfig/);
    expect(kube.requests.filter((r) => r.startsWith('POST')).length).toBe(jobsBefore);
  });
});

describe('shard-job output applied as kubectl would (to the fake)', () => {
  it('the pods take the header secret from the env Secret, and every request carries it', async () => {
    const printed = await runCli(
      ['shard-job', '--url', `${server.url}/pay`, '-r', '100/s', '-d', '1s', '-c', '2', '--shards', '2'].concat([
        '--name',
        'applied',
        '-H',
        'authorization: Bearer ${env:TOKEN}',
      ]),
      { TOKEN: 'not-this-one-0123456789' },
    );
    expect(printed.code, printed.stderr).toBe(0);
    const [secret, job] = parseAllDocuments(printed.stdout).map((d) => d.toJS() as Record<string, unknown>);
    const apply = async (path: string, body: unknown): Promise<number> =>
      (
        await fetch(`${kube.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${FAKE_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).status;
    const inCluster = 'tok-from-the-env-secret-42';
    const envSecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'applied-env' },
      stringData: { TOKEN: inCluster },
    };
    expect(await apply('/api/v1/namespaces/shards/secrets', envSecret)).toBe(201);
    expect(await apply('/api/v1/namespaces/shards/secrets', secret)).toBe(201);
    expect(await apply('/apis/batch/v1/namespaces/shards/jobs', job)).toBe(201);
    const pods = kube.pods.filter((p) => p.job === 'applied');
    expect(pods.map((p) => p.index)).toEqual([0, 1]);
    await Promise.all(pods.map((p) => p.done));
    expect(pods.map((p) => p.exitCode)).toEqual([0, 0]);
    const paid = server.seen.filter((r) => r.url === '/pay');
    expect(paid).toHaveLength(100);
    expect(new Set(paid.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${inCluster}`]));
    // Each pod's log: a hello, interval lines and an end line, as the executor reads them.
    for (const p of pods) expect(p.lines.filter((l) => l.includes('"type":"end"'))).toHaveLength(1);
  });
});
