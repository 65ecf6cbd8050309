/**
 * A fake Kubernetes API server on 127.0.0.1 — a mock, and the only one the tests allow: no
 * cluster can run on these machines. It answers the few endpoints the kubernetes executor calls
 * (create/delete Secret and Job, list pods by label, a pod's log with follow, delete a pod) and
 * plays kubelet for the Job's pods: each pod is a real `canary-gate shard` process started with
 * the Job's container args and env, its plan from the Secret (the volume mount) and
 * JOB_COMPLETION_INDEX, so the log lines are real protocol lines about real requests. Like a
 * container runtime, it keeps stdout and stderr line by line in one log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenOnLoopback } from './server.js';

const BIN = fileURLToPath(new URL('../../bin/canary-gate.js', import.meta.url));
/** Where shardJobManifests mounts the plan Secret. */
const PLAN_DIR = '/etc/canary-gate-shard';
/** The bearer token the fake accepts (its kubeconfig's user). */
export const FAKE_TOKEN = 'fake-token';

type Json = Record<string, unknown>;

/** A pod the fake runs. */
export interface FakePod {
  name: string;
  index: number;
  job: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  process: ChildProcess | undefined;
  exitCode: number | undefined;
  lines: string[];
  followers: Set<(line: string | undefined) => void>;
  ended: boolean;
  /** Resolves when its process has exited and its log is complete. */
  done: Promise<void>;
  waiting?: { reason: string; message: string };
}

/** How the fake's pods misbehave, per index. */
export interface FakeBehaviour {
  /** These indexes stay Pending with ImagePullBackOff. */
  neverStart?: number[];
  /** These indexes are SIGKILLed once they printed their first interval line. */
  killAfterFirstInterval?: number[];
}

/** The fake API server. */
export interface FakeKubernetes {
  url: string;
  /** A kubeconfig file naming it, namespace "shards". */
  kubeconfig: string;
  /** Every request, "METHOD path?query". */
  requests: string[];
  /** Secrets and Jobs that exist now, by name. */
  secrets: Map<string, Json>;
  jobs: Map<string, Json>;
  /** Every pod ever made. */
  pods: FakePod[];
  behaviour: FakeBehaviour;
  close(): Promise<void>;
}

const send = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const readBody = async (req: IncomingMessage): Promise<Json> => {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text === '' ? {} : (JSON.parse(text) as Json);
};

/** Start the fake on 127.0.0.1. */
export async function startFakeKubernetes(): Promise<FakeKubernetes> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-kube-'));
  const fake: Omit<FakeKubernetes, 'url' | 'kubeconfig' | 'close'> = {
    requests: [],
    secrets: new Map(),
    jobs: new Map(),
    pods: [],
    behaviour: {},
  };

  const podObject = (p: FakePod): Json => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: 'shards',
      creationTimestamp: new Date().toISOString(),
      labels: { 'job-name': p.job, 'batch.kubernetes.io/job-completion-index': String(p.index) },
      annotations: { 'batch.kubernetes.io/job-completion-index': String(p.index) },
    },
    status: {
      phase: p.phase,
      containerStatuses: [
        {
          name: 'shard',
          image: 'canary-gate:latest',
          imageID: '',
          ready: p.phase === 'Running',
          restartCount: 0,
          state:
            p.exitCode !== undefined
              ? { terminated: { exitCode: p.exitCode, reason: p.exitCode === 0 ? 'Completed' : 'Error' } }
              : p.waiting
                ? { waiting: p.waiting }
                : p.phase === 'Running'
                  ? { running: {} }
                  : { waiting: { reason: 'ContainerCreating' } },
        },
      ],
    },
  });

  const append = (p: FakePod, line: string | undefined): void => {
    if (line !== undefined) p.lines.push(line);
    for (const f of p.followers) f(line);
  };

  /** Each stream's whole lines into the pod's log, as a container runtime keeps them. */
  const collect = (p: FakePod, stream: NodeJS.ReadableStream | null, onLine?: (line: string) => void): Promise<void> =>
    new Promise((resolve) => {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          append(p, line);
          onLine?.(line);
        }
      });
      stream?.on('end', () => {
        if (partial !== '') append(p, partial);
        resolve();
      });
      if (!stream) resolve();
    });

  /** Play kubelet: run the Job's container for `index`. */
  const runPod = async (job: Json, index: number): Promise<void> => {
    const meta = job.metadata as { name: string };
    const spec = (job.spec as Json).template as { spec: { containers: Json[] } };
    const container = spec.spec.containers[0] as {
      args: string[];
      env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
    };
    const pod: FakePod = {
      name: `${meta.name}-${index}-${Math.random().toString(36).slice(2, 7)}`,
      index,
      job: meta.name,
      phase: 'Pending',
      process: undefined,
      exitCode: undefined,
      lines: [],
      followers: new Set(),
      ended: false,
      done: Promise.resolve(),
    };
    pod.done = new Promise((resolve) => pod.followers.add((line) => line === undefined && resolve()));
    fake.pods.push(pod);
    if (fake.behaviour.neverStart?.includes(index)) {
      pod.waiting = { reason: 'ImagePullBackOff', message: 'Back-off pulling image "canary-gate:latest"' };
      return;
    }
    // The Secret as the volume the manifest mounts.
    const secret = fake.secrets.get(meta.name) as { stringData: Record<string, string> };
    const mount = join(dir, pod.name);
    await mkdir(mount, { recursive: true });
    await writeFile(join(mount, 'plan.json'), secret.stringData['plan.json'] as string);
    const args = container.args.map((a) => a.replace(PLAN_DIR, mount));
    // A value, or a key of a Secret the user created (shard-job's ${env:NAME} references).
    const fromSecret = (ref: { name: string; key: string }): string =>
      (fake.secrets.get(ref.name) as { stringData?: Record<string, string> } | undefined)?.stringData?.[ref.key] ?? '';
    const env = Object.fromEntries(
      (container.env ?? []).map((e) => [
        e.name,
        e.value ?? (e.valueFrom?.secretKeyRef ? fromSecret(e.valueFrom.secretKeyRef) : ''),
      ]),
    );
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env, JOB_COMPLETION_INDEX: String(index), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pod.process = child;
    pod.phase = 'Running';
    let killed = false;
    const out = collect(pod, child.stdout, (line) => {
      if (!killed && fake.behaviour.killAfterFirstInterval?.includes(index) && line.includes('"type":"interval"')) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const err = collect(pod, child.stderr);
    child.once('exit', async (code, signal) => {
      await Promise.all([out, err]);
      pod.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      pod.phase = pod.exitCode === 0 ? 'Succeeded' : 'Failed';
      pod.ended = true;
      append(pod, undefined);
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    fake.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`)
      return send(res, 401, { kind: 'Status', code: 401, message: 'Unauthorized' });
    const path = url.pathname;
    let m = path.match(/^\/api\/v1\/namespaces\/shards\/secrets(?:\/([^/]+))?$/);
    if (m) {
      if (req.method === 'POST') {
        const body = await readBody(req);
        const name = (body.metadata as { name: string }).name;
        if (fake.secrets.has(name)) return send(res, 409, { kind: 'Status', code: 409, message: 'AlreadyExists' });
        fake.secrets.set(name, body);
        return send(res, 201, body);
      }
      if (req.method === 'DELETE' && m[1]) {
        const had = fake.secrets.delete(m[1]);
        return had
          ? send(res, 200, { kind: 'Status', status: 'Success' })
          : send(res, 404, { code: 404, message: 'NotFound' });
      }
    }
    m = path.match(/^\/apis\/batch\/v1\/namespaces\/shards\/jobs(?:\/([^/]+))?$/);
    if (m) {
      if (req.method === 'POST') {
        const body = await readBody(req);
        const name = (body.metadata as { name: string }).name;
        fake.jobs.set(name, body);
        const n = (body.spec as { completions: number }).completions;
        // Its pods exist (and run) once the create is answered: a test can await them at once.
        for (let i = 0; i < n; i++) await runPod(body, i);
        return send(res, 201, body);
      }
      if (req.method === 'DELETE' && m[1]) {
        if (!fake.jobs.delete(m[1])) return send(res, 404, { code: 404, message: 'NotFound' });
        // Background propagation: the garbage collector deletes the pods (SIGTERM).
        for (const p of fake.pods) if (p.job === m[1] && !p.ended) p.process?.kill('SIGTERM');
        return send(res, 200, { kind: 'Status', status: 'Success' });
      }
    }
    m = path.match(/^\/api\/v1\/namespaces\/shards\/pods(?:\/([^/]+))?(\/log)?$/);
    if (m) {
      if (req.method === 'GET' && !m[1]) {
        const [key, value] = (url.searchParams.get('labelSelector') ?? '').split('=');
        const items = fake.pods.filter(
          (p) => key === undefined || key === '' || (key === 'job-name' && p.job === value),
        );
        return send(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: items.map(podObject) });
      }
      const pod = fake.pods.find((p) => p.name === m?.[1]);
      if (!pod) return send(res, 404, { kind: 'Status', code: 404, message: `pods "${m[1]}" not found` });
      if (req.method === 'GET' && m[2]) {
        if (pod.phase === 'Pending')
          return send(res, 400, { kind: 'Status', code: 400, message: 'container "shard" is waiting to start' });
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (const line of pod.lines) res.write(`${line}\n`);
        if (pod.ended || url.searchParams.get('follow') !== 'true') return void res.end();
        const follower = (line: string | undefined): void => {
          if (line === undefined) {
            pod.followers.delete(follower);
            res.end();
          } else res.write(`${line}\n`);
        };
        pod.followers.add(follower);
        res.on('close', () => pod.followers.delete(follower));
        return;
      }
      if (req.method === 'DELETE') {
        const grace = url.searchParams.get('gracePeriodSeconds');
        if (!pod.ended) pod.process?.kill(grace === '0' ? 'SIGKILL' : 'SIGTERM');
        return send(res, 200, podObject(pod));
      }
    }
    send(res, 404, { kind: 'Status', code: 404, message: `no route ${req.method} ${path}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, 500, { code: 500, message: error.message }));
  });
  const { url, close } = await listenOnLoopback(server);
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: fake, cluster: {server: "URL", insecure-skip-tls-verify: true}}]'.replace('URL', url),
      `users: [{name: tester, user: {token: ${FAKE_TOKEN}}}]`,
      'contexts: [{name: fake, context: {cluster: fake, user: tester, namespace: shards}}]',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  // The same object the handlers read: a test sets `behaviour` on it.
  return Object.assign(fake, {
    url,
    kubeconfig,
    async close() {
      for (const p of fake.pods) if (!p.ended) p.process?.kill('SIGKILL');
      await close();
      await rm(dir, { recursive: true, force: true });
    },
  });
}
