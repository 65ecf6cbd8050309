/**
 * The `kubernetes` executor: the shards are the pods of one Indexed Job (shardJobManifests),
 * created, followed and deleted through @kubernetes/client-node. A thin layer: the pods run the
 * same `canary-gate shard` as the process and docker executors, their logs are the protocol lines,
 * and the coordinator follows, merges and fails them exactly as it does a process's stdout.
 *
 * What differs from a local shard:
 * - no control channel: a pod has no stdin, so `send` says false and weights cannot change
 *   mid-run (`run` refuses this executor; `load` never changes weights);
 * - a pod's log holds stdout and stderr together: lines that are JSON objects are the protocol,
 *   the others are kept as the shard's stderr (protocol lines are whole JSON objects, one a line);
 * - stop is deleting the pod with a grace period (the kubelet sends SIGTERM, the shard prints its
 *   end line), kill is deleting it with none; the Job (propagationPolicy Background, so its pods
 *   go too) and the plan Secret are deleted at the end whatever happened;
 * - pods start when the scheduler gets to them: the common start is `startDelayMs` away (default
 *   30 s), and a pod still not running by then is named by the coordinator as silent, with its
 *   last status (e.g. ImagePullBackOff) as its stderr.
 *
 * Every API call has a deadline; the pod list is polled once a second for all shards together.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BatchV1Api, CoreV1Api, KubeConfig, Log, type V1Pod } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import {
  type ShardExecutor,
  type ShardExit,
  type ShardInstance,
  type ShardLaunch,
  STDERR_TAIL_BYTES,
} from './executor.js';
import { shardJobManifests } from './kubernetes-job.js';
import { boundedLines } from './lines.js';
import { SHARD_LIMITS } from './protocol.js';
import { parsePlanFile } from './split.js';

/** The annotation (and, from Kubernetes 1.28, label) Indexed Jobs put on each pod. */
const INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The label the Job controller puts on its pods. */
const JOB_NAME_LABEL = 'job-name';
/** The shard container's name in the Job's pod template. */
const CONTAINER = 'shard';

/** Options of the kubernetes executor. */
export interface KubernetesExecutorOptions {
  /** Credentials and the API server (kubeConfigFrom). */
  kubeConfig: KubeConfig;
  /** Namespace of the Job and the Secret. */
  namespace: string;
  /** Image with canary-gate as its entrypoint. */
  image: string;
  /** Name of the Job and the Secret (default canary-gate-shards-<run id>). */
  name?: string;
  /** Time the pods have to be scheduled and started before the common start, ms (default 30 000). */
  startDelayMs?: number;
  /** How often the pods are listed, ms (default 1 000). */
  pollMs?: number;
  /** Longest one API call may take, ms (default 30 000). */
  callTimeoutMs?: number;
  /** Seconds a stopped pod has before it is killed (default 30). */
  stopGraceSeconds?: number;
  /** Told what could not be cleaned up (a Job or Secret left in the cluster), and similar. */
  warn?: (message: string) => void;
}

/** How long an API call may take before its wait ends, ms. */
const CALL_MS = 30_000;
/** After a pod's log ends, how long its final status may take to show, ms. */
const EXIT_STATUS_MS = 30_000;

/** `promise`, or a rejection naming `what` once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** An API error as one line: the status code and the server's message when it gave one. */
export function apiErrorText(error: unknown): string {
  const e = error as { code?: number; body?: unknown; message?: string };
  let said = '';
  try {
    const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    said = (body as { message?: string } | undefined)?.message ?? '';
  } catch {
    said = typeof e.body === 'string' ? e.body : '';
  }
  const text = said || (e.message ?? String(error)).split('\n')[0] || 'failed';
  return `${e.code === undefined ? '' : `HTTP ${e.code}: `}${text}`.slice(0, 500);
}

/** A 404: what was to be deleted is gone already. */
const notFound = (error: unknown): boolean => (error as { code?: number }).code === 404;

/**
 * The kubeconfig a command uses: $KUBECONFIG's files, else in-cluster credentials when
 * KUBERNETES_SERVICE_HOST is set (a coordinator running in a pod), else ~/.kube/config; throws
 * UsageError (exit 2) when there is none. The namespace is the current context's, else "default".
 */
export function kubeConfigFrom(env: Readonly<Record<string, string | undefined>>): {
  kubeConfig: KubeConfig;
  namespace: string;
  source: string;
} {
  const kc = new KubeConfig();
  let source: string;
  try {
    const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
    const home = join(env.HOME ?? homedir(), '.kube', 'config');
    if (files.length > 0) {
      kc.loadFromFile(files[0] as string);
      for (const file of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more);
      }
      source = `$KUBECONFIG (${files.join(delimiter)})`;
    } else if (env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
      source = 'in-cluster credentials';
    } else if (existsSync(home)) {
      kc.loadFromFile(home);
      source = home;
    } else {
      throw new Error('no $KUBECONFIG, no ~/.kube/config and not in a pod (KUBERNETES_SERVICE_HOST)');
    }
  } catch (error) {
    throw new UsageError(`--executor kubernetes: cannot load a kubeconfig: ${(error as Error).message}`, {
      hint: 'set KUBECONFIG, or run where ~/.kube/config or in-cluster credentials are',
    });
  }
  if (!kc.getCurrentCluster())
    throw new UsageError(`--executor kubernetes: ${source} has no current context with a cluster`);
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  return { kubeConfig: kc, namespace, source };
}

/**
 * Why the API server cannot take shard Jobs (it does not answer, the credentials are refused),
 * or undefined: asked before anything is sent, with a deadline.
 */
export async function kubernetesProblem(kubeConfig: KubeConfig, namespace: string): Promise<string | undefined> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  try {
    await within(core.listNamespacedPod({ namespace, limit: 1 }), 10_000, 'listing pods');
    return undefined;
  } catch (error) {
    return `the API server at ${kubeConfig.getCurrentCluster()?.server} (namespace ${namespace}): ${apiErrorText(error)}`;
  }
}

/** What a pod's status says in one line, for the report of a shard that did not run. */
function podStatusText(pod: V1Pod): string {
  const c = pod.status?.containerStatuses?.find((s) => s.name === CONTAINER);
  const waiting = c?.state?.waiting;
  const terminated = c?.state?.terminated;
  const parts = [`pod ${pod.metadata?.name}: ${pod.status?.phase ?? 'Unknown'}`];
  if (waiting) parts.push(`waiting: ${waiting.reason ?? ''}${waiting.message ? ` (${waiting.message})` : ''}`);
  if (terminated) parts.push(`terminated: ${terminated.reason ?? ''} exit code ${terminated.exitCode}`);
  const unscheduled = pod.status?.conditions?.find((k) => k.type === 'PodScheduled' && k.status === 'False');
  if (unscheduled) parts.push(`unschedulable: ${unscheduled.message ?? unscheduled.reason ?? ''}`);
  return parts.join(', ');
}

/** The exit of a pod's shard container, once it has one. */
function podExit(pod: V1Pod): ShardExit | undefined {
  const t = pod.status?.containerStatuses?.find((s) => s.name === CONTAINER)?.state?.terminated;
  if (t) return { code: t.exitCode, signal: t.signal === undefined ? null : `signal ${t.signal}` };
  if (pod.status?.phase === 'Succeeded') return { code: 0, signal: null };
  if (pod.status?.phase === 'Failed') return { code: null, signal: null };
  return undefined;
}

/** One shard's pod as the executor follows it. */
interface PodShard {
  index: number;
  pod: string | undefined;
  state: 'waiting' | 'following' | 'log-ended' | 'done';
  logEndedAt: number;
  log: AbortController | undefined;
  out: PassThrough;
  tail: string;
  stopped: boolean;
  exit: (exit: ShardExit) => void;
}

/** Start shards as the pods of an Indexed Job through the Kubernetes API. */
export function kubernetesExecutor(options: KubernetesExecutorOptions): ShardExecutor & { readonly jobName: string } {
  const runId = randomUUID().slice(0, 8);
  const name = options.name ?? `canary-gate-shards-${runId}`;
  const { namespace, kubeConfig } = options;
  const callMs = options.callTimeoutMs ?? CALL_MS;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const logs = new Log(kubeConfig);
  const shards = new Map<number, PodShard>();
  let created: Promise<void> | undefined;
  let createdAny = false;
  let poller: NodeJS.Timeout | undefined;
  let polling = false;
  let closed = false;

  const create = async (launch: ShardLaunch): Promise<void> => {
    const file = parsePlanFile(launch.planJson, 'the plan');
    const manifests = shardJobManifests(file.plan, { name, namespace, shards: launch.count, image: options.image });
    // The coordinator's plan (with its common start time) rather than the printable one.
    (manifests.secret.stringData as Record<string, string>)['plan.json'] = launch.planJson;
    createdAny = true;
    // Each create named with the API server's answer when it refuses (quota, RBAC, a name taken).
    const created = (what: string, call: Promise<unknown>): Promise<unknown> =>
      within(call, callMs, `creating ${what}`).catch((error: unknown) => {
        throw new Error(`creating ${what}: ${apiErrorText(error)}`);
      });
    await created(
      `Secret ${namespace}/${name}`,
      core.createNamespacedSecret({ namespace, body: manifests.secret as never }),
    );
    await created(`Job ${namespace}/${name}`, batch.createNamespacedJob({ namespace, body: manifests.job as never }));
  };

  const note = (s: PodShard, text: string): void => {
    s.tail = `${s.tail}${text}\n`.slice(-STDERR_TAIL_BYTES);
  };

  const follow = async (s: PodShard, pod: string): Promise<void> => {
    const raw = new PassThrough();
    try {
      s.log = await within(logs.log(namespace, pod, CONTAINER, raw, { follow: true }), callMs, `pod ${pod} log`);
    } catch (error) {
      // Not ready for logs yet (the container is still being created): the next poll asks again.
      note(s, `pod ${pod}: log: ${apiErrorText(error)}`);
      s.state = 'waiting';
      return;
    }
    try {
      for await (const line of boundedLines(raw, SHARD_LIMITS.maxLineBytes)) {
        if (line.startsWith('{')) s.out.write(`${line}\n`);
        else note(s, line);
      }
    } catch (error) {
      s.out.destroy(error as Error);
    }
    s.out.end();
    if (s.state === 'following') {
      s.state = 'log-ended';
      s.logEndedAt = Date.now();
    }
  };

  /** One look at every pod of the Job: start following those that run, read the exits of those that ended. */
  const poll = async (): Promise<void> => {
    if (polling || closed) return;
    polling = true;
    try {
      const list = await within(
        core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${name}` }),
        callMs,
        'listing pods',
      );
      const byIndex = new Map<number, V1Pod>();
      // The first pod of each index: with backoffLimit 0 there is no other, and a replacement would resend a slice.
      const ordered = [...list.items].sort(
        (a, b) =>
          new Date(a.metadata?.creationTimestamp ?? 0).getTime() -
          new Date(b.metadata?.creationTimestamp ?? 0).getTime(),
      );
      for (const pod of ordered) {
        const index = Number(pod.metadata?.annotations?.[INDEX_ANNOTATION] ?? pod.metadata?.labels?.[INDEX_ANNOTATION]);
        if (Number.isInteger(index) && !byIndex.has(index)) byIndex.set(index, pod);
      }
      for (const s of shards.values()) {
        const pod = s.pod === undefined ? byIndex.get(s.index) : ordered.find((p) => p.metadata?.name === s.pod);
        if (s.state === 'waiting' && pod) {
          s.pod ??= pod.metadata?.name;
          const status = podStatusText(pod);
          if (!s.tail.endsWith(`${status}\n`)) note(s, status);
          if (s.stopped) s.state = 'done';
          else if (pod.status?.phase && pod.status.phase !== 'Pending' && s.pod) {
            s.state = 'following';
            void follow(s, s.pod);
          }
        } else if (s.state === 'log-ended') {
          const exit = pod ? podExit(pod) : { code: null, signal: null };
          if (exit || Date.now() - s.logEndedAt > EXIT_STATUS_MS) {
            if (pod) note(s, podStatusText(pod));
            s.state = 'done';
            s.exit(exit ?? { code: null, signal: null });
          }
        }
      }
    } catch (error) {
      for (const s of shards.values()) if (s.state !== 'done') note(s, `listing pods: ${apiErrorText(error)}`);
    } finally {
      polling = false;
    }
  };

  const deletePod = (s: PodShard, graceSeconds: number): void => {
    if (s.pod === undefined) return;
    const pod = s.pod;
    within(
      core.deleteNamespacedPod({ name: pod, namespace, gracePeriodSeconds: graceSeconds }),
      callMs,
      `deleting pod ${pod}`,
    ).catch((error: unknown) => {
      if (!notFound(error)) note(s, `deleting pod ${pod}: ${apiErrorText(error)}`);
    });
  };

  return {
    name: 'kubernetes',
    jobName: name,
    startDelayMs: options.startDelayMs ?? 30_000,
    async start(launch: ShardLaunch): Promise<ShardInstance> {
      created ??= create(launch);
      await created;
      let resolveExit: (exit: ShardExit) => void = () => {};
      const exited = new Promise<ShardExit>((resolve) => {
        resolveExit = resolve;
      });
      const s: PodShard = {
        index: launch.index,
        pod: undefined,
        state: 'waiting',
        logEndedAt: 0,
        log: undefined,
        out: new PassThrough(),
        tail: '',
        stopped: false,
        exit: resolveExit,
      };
      shards.set(launch.index, s);
      poller ??= setInterval(() => void poll(), options.pollMs ?? 1000);
      void poll();
      const end = (exit: ShardExit): void => {
        s.state = 'done';
        s.log?.abort();
        s.out.end();
        s.exit(exit);
      };
      return {
        get id() {
          return s.pod === undefined ? `job ${name} index ${launch.index} (no pod yet)` : `pod ${s.pod}`;
        },
        stdout: s.out,
        stderrTail: () => s.tail,
        // A pod has no stdin: weights cannot change mid-run.
        send: () => false,
        stop: () => {
          if (s.stopped || s.state === 'done') return;
          s.stopped = true;
          // Before its pod runs, a stopped shard sends nothing: it is done.
          if (s.state === 'waiting') {
            deletePod(s, 0);
            note(s, 'stopped before its pod ran');
            end({ code: null, signal: null });
          } else deletePod(s, options.stopGraceSeconds ?? 30);
        },
        kill: () => {
          if (s.state === 'done') return;
          deletePod(s, 0);
          end({ code: null, signal: 'SIGKILL' });
        },
        exited,
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(poller);
      for (const s of shards.values()) {
        s.log?.abort();
        s.out.end();
        if (s.state !== 'done') s.exit({ code: null, signal: null });
      }
      if (!createdAny) return;
      // Whatever happened: the Job and its pods, then the plan.
      const gone = await Promise.allSettled([
        within(
          batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }),
          callMs,
          `deleting Job ${name}`,
        ),
        within(core.deleteNamespacedSecret({ name, namespace }), callMs, `deleting Secret ${name}`),
      ]);
      gone.forEach((g, i) => {
        if (g.status === 'rejected' && !notFound(g.reason))
          options.warn?.(
            `could not delete ${i === 0 ? 'Job' : 'Secret'} ${namespace}/${name} (${apiErrorText(g.reason)}): kubectl -n ${namespace} delete ${i === 0 ? 'job' : 'secret'} ${name}`,
          );
      });
    },
  };
}
